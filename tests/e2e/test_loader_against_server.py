"""`trialcds load-fhir` against a real FHIR server: ids kept, reloads harmless, refusals reported."""

from __future__ import annotations

import gzip
import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from e2e_servers import FhirServer

from cds.cli import main
from cds.fhir_loader import load_bundles

pytestmark = pytest.mark.e2e


def patient_with_weight(patient_uuid: str, observation_uuid: str) -> dict:
    """A Synthea-shaped transaction: POSTs under urn:uuid fullUrls, resources without ids."""
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": f"urn:uuid:{patient_uuid}",
                "resource": {"resourceType": "Patient", "gender": "female", "birthDate": "1985-02-11"},
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "fullUrl": f"urn:uuid:{observation_uuid}",
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "category": [{"coding": [{
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs",
                    }]}],
                    "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7", "display": "Body weight"}]},
                    "subject": {"reference": f"urn:uuid:{patient_uuid}"},
                    "effectiveDateTime": "2026-05-02",
                    "valueQuantity": {"value": 61.5, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
                },
                "request": {"method": "POST", "url": "Observation"},
            },
        ],
    }


def with_unmatched_practitioner(bundle: dict) -> dict:
    """The bundle with a conditional reference (FHIR R4 §3.1.0.11.2) that matches no resource."""
    bundle["entry"][1]["resource"]["performer"] = [
        {"reference": "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999999999"}
    ]
    return bundle


def write_gzip(path: Path, bundle: dict) -> Path:
    path.write_bytes(gzip.compress(json.dumps(bundle).encode()))
    return path


def weights_of(fhir_server: FhirServer, patient_id: str) -> dict:
    response = fhir_server.endpoint.get(f"Observation?patient={patient_id}&code=http://loinc.org|29463-7")
    response.raise_for_status()
    return response.json()


def test_loading_keeps_the_files_ids_and_a_reload_changes_nothing(fhir_server: FhirServer, tmp_path: Path) -> None:
    patient_id, observation_id = str(uuid.uuid4()), str(uuid.uuid4())
    path = write_gzip(tmp_path / "patient.json.gz", patient_with_weight(patient_id, observation_id))

    first = load_bundles(fhir_server.endpoint.base_url, [path], fhir_server.session())
    second = load_bundles(fhir_server.endpoint.base_url, [path], fhir_server.session())

    assert first.failures == second.failures == ()
    assert fhir_server.endpoint.get(f"Patient/{patient_id}").status_code == 200
    weights = weights_of(fhir_server, patient_id)
    assert weights["total"] == 1
    assert weights["entry"][0]["resource"]["id"] == observation_id


def test_a_refused_bundle_is_reported_and_the_others_still_load(fhir_server: FhirServer, tmp_path: Path) -> None:
    refused_patient, loaded_patient = str(uuid.uuid4()), str(uuid.uuid4())
    refused = tmp_path / "refused.json"
    refused.write_text(json.dumps(with_unmatched_practitioner(patient_with_weight(refused_patient, str(uuid.uuid4())))))
    accepted = write_gzip(tmp_path / "accepted.json.gz", patient_with_weight(loaded_patient, str(uuid.uuid4())))

    report = load_bundles(fhir_server.endpoint.base_url, [refused, accepted], fhir_server.session())

    (failure,) = report.failures
    assert failure.startswith("refused.json: the FHIR server answered HTTP 404")
    assert "matched nothing" in failure
    assert [loaded.path for loaded in report.loaded] == [accepted]
    assert fhir_server.endpoint.get(f"Patient/{refused_patient}").status_code == 404
    assert fhir_server.endpoint.get(f"Patient/{loaded_patient}").status_code == 200


def test_the_command_loads_with_a_token_from_the_environment_and_shows_progress(
    fhir_server: FhirServer, tmp_path: Path
) -> None:
    patient_ids = [str(uuid.uuid4()) for _ in range(4)]
    paths = [write_gzip(tmp_path / f"p{i}.json.gz", patient_with_weight(pid, str(uuid.uuid4())))
             for i, pid in enumerate(patient_ids)]

    result = CliRunner().invoke(
        main,
        ["load-fhir", fhir_server.endpoint.base_url, *map(str, paths)],
        env={"TRIALCDS_LOAD_FHIR_TOKEN": fhir_server.endpoint.access_token},
    )

    assert result.exit_code == 0, result.output
    assert f"loaded 4 bundle(s), 8 entries, into {fhir_server.endpoint.base_url}" in result.stdout
    assert "4/4" in result.stderr
    assert fhir_server.endpoint.access_token not in result.output
    assert all(fhir_server.endpoint.get(f"Patient/{pid}").status_code == 200 for pid in patient_ids)


def test_the_command_exits_1_and_names_the_file_the_server_refused(fhir_server: FhirServer, tmp_path: Path) -> None:
    path = tmp_path / "refused.json"
    path.write_text(json.dumps(with_unmatched_practitioner(patient_with_weight(str(uuid.uuid4()), str(uuid.uuid4())))))

    result = CliRunner().invoke(
        main,
        ["load-fhir", fhir_server.endpoint.base_url, str(path)],
        env={"TRIALCDS_LOAD_FHIR_TOKEN": fhir_server.endpoint.access_token},
    )

    assert result.exit_code == 1
    assert "loaded 0 bundle(s)" in result.stdout
    assert "failed: refused.json: the FHIR server answered HTTP 404" in result.stderr


def test_without_the_token_the_server_refuses_and_the_command_says_so(fhir_server: FhirServer, tmp_path: Path) -> None:
    path = write_gzip(tmp_path / "p.json.gz", patient_with_weight(str(uuid.uuid4()), str(uuid.uuid4())))

    result = CliRunner().invoke(main, ["load-fhir", fhir_server.endpoint.base_url, str(path)], env={"TRIALCDS_LOAD_FHIR_TOKEN": ""})

    assert result.exit_code == 1
    assert "answered HTTP 401" in result.stderr
