"""`trialcds evaluate`: output formats, and bad input as one line on stderr with exit code 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fhir_builders import (
    AS_OF,
    bundle,
    condition,
    days_before,
    medication,
    medication_request,
    observation,
    patient,
)

from cds.cli import main
from cds.trials.loader import load_trials

CRITERION_KEYS = {"id", "kind", "label", "status", "manual", "reason", "clears_on", "evidence"}
EVIDENCE_KEYS = {"reference", "code", "value", "date"}
CHECKLIST_LINE = re.compile(r"^\[[ x?]\] (\S+)")
TOP_KEYS = {"trial", "patient", "as_of", "decision", "eligible_from", "not_candidate_reason", "criteria",
            "unidentified_medications", "missing_data"}
UNIDENTIFIED_KEYS = {"reference", "code", "text"}


def _write(tmp_path: Path, content: Any, name: str = "bundle.json") -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def _run(*args: str) -> Any:
    return CliRunner().invoke(main, ["evaluate", *args])


@pytest.fixture
def patient_file(tmp_path: Path) -> Path:
    return _write(tmp_path, bundle(
        patient(birth_date="1988-04-02", id="cli-1"),
        condition("snomed", "55464009", onset="2019-05-01"),
        observation("718-7", 84, "g/L", on=days_before(5), id="hb-1"),
    ))


def test_json_output_has_exactly_the_documented_shape(patient_file: Path) -> None:
    result = _run(str(patient_file), "--trial", "nct05247203", "--as-of", AS_OF.isoformat(), "--format", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == TOP_KEYS
    assert payload["trial"] == "nct05247203"
    assert payload["patient"] == "Patient/cli-1"
    assert payload["as_of"] == "2026-11-25"
    assert payload["decision"] == "ineligible"  # hemoglobin 84 g/L: E3.4 met
    trial_ids = [c.id for c in load_trials()["nct05247203"].criteria]
    assert [c["id"] for c in payload["criteria"]] == trial_ids
    for entry in payload["criteria"]:
        assert set(entry) == CRITERION_KEYS
        assert entry["status"] in {"met", "not_met", "unknown"}
        for ev in entry["evidence"]:
            assert set(ev) == EVIDENCE_KEYS
    e34 = next(c for c in payload["criteria"] if c["id"] == "E3.4")
    assert e34["evidence"][0] == {"reference": "Observation/hb-1", "code": "http://loinc.org|718-7",
                                  "value": "84 g/L", "date": days_before(5).isoformat()}


def test_trial_option_accepts_the_trial_id(patient_file: Path) -> None:
    result = _run(str(patient_file), "--trial", "nct05247203", "--as-of", "2026-11-25", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["trial"] == "nct05247203"


def test_text_output_is_a_checklist(patient_file: Path) -> None:
    result = _run(str(patient_file), "--trial", "nct05247203", "--as-of", "2026-11-25")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "ineligible" in lines[0] and "NCT05247203" in lines[0]
    trial_ids = [c.id for c in load_trials()["nct05247203"].criteria]
    listed = [m.group(1) for m in map(CHECKLIST_LINE.match, lines) if m]
    assert listed == trial_ids
    assert any(line.startswith("[x] E3.4") for line in lines)


def test_unidentified_medications_are_listed_in_json_and_text(tmp_path: Path) -> None:
    """A local drug code no table or name knows: listed for the coordinator in both formats."""
    local = {"coding": [{"system": "urn:oid:1.2.840.114350.1.13.0.1.7.2.698288", "code": "99123",
                         "display": "ZORBEXIL 10 MG TAB"}]}
    path = _write(tmp_path, bundle(patient(), medication_request(local, days_before(40), id="mr-z"),
                                   medication_request(medication("5521", "hydroxychloroquine"), days_before(40))))
    payload = json.loads(_run(str(path), "--trial", "nct05247203", "--as-of", "2026-11-25", "--format", "json").stdout)
    (listed,) = payload["unidentified_medications"]
    assert set(listed) == UNIDENTIFIED_KEYS
    assert listed["reference"] == "MedicationRequest/mr-z"
    text = _run(str(path), "--trial", "nct05247203", "--as-of", "2026-11-25").stdout.splitlines()
    heading = text.index("unidentified medications (no drug criterion matches them; check them):")
    assert text[heading + 1:] == [
        "          - MedicationRequest/mr-z urn:oid:1.2.840.114350.1.13.0.1.7.2.698288|99123 ZORBEXIL 10 MG TAB"
    ]


@pytest.mark.parametrize("bundle_type", ["collection", "searchset", "transaction", "batch"])
def test_every_bundle_type_is_read(tmp_path: Path, bundle_type: str) -> None:
    path = _write(tmp_path, bundle(patient(), type=bundle_type))
    assert _run(str(path), "--as-of", "2026-11-25", "--format", "json").exit_code == 0


BAD_INPUTS = {
    "invalid JSON": ('{"resourceType": "Bundle", "entry": [', "not valid JSON"),
    "not a Bundle": (json.dumps(patient()), "not a FHIR Bundle"),
    "JSON that is not an object": ("[1, 2, 3]", "not a FHIR Bundle"),
    "no Patient": (json.dumps(bundle(observation("718-7", 84, "g/L"), with_patient=False)), "no Patient"),
    "two Patients": (json.dumps(bundle(patient(id="a"), patient(id="b"))), "Patient"),
}


def _assert_one_line_error(result: Any, needle: str) -> None:
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_bundle_is_a_one_line_error_with_exit_code_2(tmp_path: Path, case: str) -> None:
    content, needle = BAD_INPUTS[case]
    _assert_one_line_error(_run(str(_write(tmp_path, content)), "--as-of", "2026-11-25"), needle)


def test_unreadable_file_is_a_one_line_error(tmp_path: Path) -> None:
    _assert_one_line_error(_run(str(tmp_path / "missing.json")), "missing.json")


def test_directory_instead_of_file_is_a_one_line_error(tmp_path: Path) -> None:
    result = _run(str(tmp_path))
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr


def test_unknown_trial_is_a_one_line_error(patient_file: Path) -> None:
    _assert_one_line_error(_run(str(patient_file), "--trial", "nct00000000"), "nct00000000")


@pytest.mark.parametrize("bad_date", ["2026-13-01", "25/11/2026", "tomorrow", "2026-02-30"])
def test_bad_date_is_a_one_line_error(patient_file: Path, bad_date: str) -> None:
    _assert_one_line_error(_run(str(patient_file), "--as-of", bad_date), bad_date)


def test_installed_console_script_reports_bad_input_without_traceback(tmp_path: Path) -> None:
    """The real process, as a user runs it: stderr is one line, exit code 2."""
    script = Path(sys.executable).with_name("trialcds")
    done = subprocess.run([str(script), "evaluate", str(_write(tmp_path, "{not json")), "--as-of", "2026-11-25"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_resource_the_engine_cannot_interpret_does_not_abort(tmp_path: Path) -> None:
    """A hemoglobin in an unknown unit and a malformed dosage: the evaluation still completes."""
    odd = observation("718-7", 8, "mg/furlong", on=days_before(2))
    bad_dose = {"resourceType": "MedicationStatement", "id": "ms-odd", "status": "active",
                "medicationCodeableConcept": {"text": "prednisone"}, "subject": {"reference": "Patient/p1"},
                "effectivePeriod": {"start": "2026-01-01"},
                "dosage": [{"doseAndRate": [{"doseQuantity": {"value": "lots"}}], "timing": {"repeat": {"frequency": "x"}}}]}
    path = _write(tmp_path, bundle(patient(), odd, bad_dose))
    result = _run(str(path), "--trial", "nct05247203", "--as-of", "2026-11-25", "--format", "json")
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    statuses = {c["id"]: c["status"] for c in payload["criteria"]}
    assert statuses["E3.4"] == "unknown"
    assert statuses["E12"] == "unknown"
    assert statuses["I6"] == "met"
