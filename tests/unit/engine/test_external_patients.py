"""NCT05247203 on the public bundles in ../shared/data/external/: what their data allows.

The Synthea lupus patients get I3 unknown (SNOMED 200936003 is not "systemic"); the US Core
patients born in 1940 are ineligible by age; the lupus regimen and CBC codes are read; the
CLI decides decompressed bundles and prints the README's example. That every trial decides
every patient, and the deceased are never candidates, is
`test_external_patients_every_trial.py`.
"""

from __future__ import annotations

import gzip
import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from trial_eval import nct05247203

from cds.cli import main
from cds.pipeline import evaluate_trial
from fhir_mappings.record import PatientRecord

AS_OF = "2026-11-25"
LUPUS_FOLDER = "pysynthea-lupus-forced"
US_CORE_FOLDER = "inferno-reference-server-uscore"
SYNTHEA_LUPUS = "http://snomed.info/sct|200936003"


@cache
def _read(path: Path) -> Any:
    with gzip.open(path, "rb") as fh:
        return orjson.loads(fh.read())


def _manifest(external: Path, folder: str) -> dict[str, Any]:
    return json.loads((external / folder / "manifest.json").read_text(encoding="utf-8"))


@cache
def _evaluate(path: Path, as_of: str = AS_OF) -> dict[str, Any]:
    record = PatientRecord.from_bundle(_read(path))
    return evaluate_trial(record, nct05247203(), date.fromisoformat(as_of)).to_json()


def _latest_result_date(bundle: dict[str, Any], loinc: str) -> str:
    """The calendar date of a patient's most recent Observation with this LOINC code."""
    return max(
        e["resource"]["effectiveDateTime"][:10]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and any(c.get("code") == loinc for c in e["resource"]["code"].get("coding", []))
    )


def _criterion(result: dict[str, Any], cid: str) -> dict[str, Any]:
    return next(c for c in result["criteria"] if c["id"] == cid)


def test_synthea_lupus_patients_get_i3_unknown_with_snomed_200936003(external_data: Path) -> None:
    files = _manifest(external_data, LUPUS_FOLDER)["files"]
    lupus = [f for f in files if f["role"] == "lupus"]
    assert len(lupus) == 16
    for item in lupus:
        i3 = _criterion(_evaluate(external_data / LUPUS_FOLDER / item["file"]), "I3")
        assert i3["status"] == "unknown", item["file"]
        assert SYNTHEA_LUPUS in {e["code"] for e in i3["evidence"]}, item["file"]


def test_synthea_controls_have_no_lupus_record(external_data: Path) -> None:
    files = _manifest(external_data, LUPUS_FOLDER)["files"]
    for item in (f for f in files if f["role"] != "lupus"):
        i3 = _criterion(_evaluate(external_data / LUPUS_FOLDER / item["file"]), "I3")
        assert i3["status"] == "not_met", item["file"]


def test_us_core_patients_born_1940_are_ineligible_by_age(external_data: Path) -> None:
    for item in _manifest(external_data, US_CORE_FOLDER)["files"]:
        if not item["patients"]:
            continue
        result = _evaluate(external_data / US_CORE_FOLDER / item["file"])
        i2 = _criterion(result, "I2")
        assert i2["status"] == "not_met", item["file"]
        assert result["decision"] == "ineligible"
        assert result["eligible_from"] is None


def test_synthea_lupus_regimen_is_read(external_data: Path) -> None:
    """Synthea's MedicationRequests (naproxen 849574, predniSONE 312615, cycloSPORINE 241834) are
    standard-regimen drugs: I6 is decided for every lupus patient, met for some."""
    files = [f for f in _manifest(external_data, LUPUS_FOLDER)["files"] if f["role"] == "lupus"]
    statuses = [_criterion(_evaluate(external_data / LUPUS_FOLDER / f["file"]), "I6")["status"] for f in files]
    assert "unknown" not in statuses
    assert "met" in statuses


def test_synthea_cbc_codes_and_units_are_read(external_data: Path) -> None:
    """On the day of each lupus patient's last CBC, Synthea's 718-7 (g/dL), 6690-2 and 777-3
    (10*3/uL) decide E3.3-E3.5: none stays unknown."""
    files = [f for f in _manifest(external_data, LUPUS_FOLDER)["files"] if f["role"] == "lupus"]
    for item in files:
        path = external_data / LUPUS_FOLDER / item["file"]
        result = _evaluate(path, _latest_result_date(_read(path), "718-7"))
        for cid in ("E3.3", "E3.4", "E3.5"):
            entry = _criterion(result, cid)
            assert entry["status"] != "unknown", (item["file"], cid, entry["reason"])
            assert entry["evidence"], (item["file"], cid)


@pytest.mark.parametrize(
    "relative",
    [
        f"{LUPUS_FOLDER}/Delpha_Conn_e853a21f.json.gz",
        f"{US_CORE_FOLDER}/uscore_bundle_patient_85.json.gz",
        "smart-generated-sample-data-r4/Veta_Nitzsche_2df90d6d-67fe-4c32-a43a-06562b9f7384.json.gz",
    ],
)
def test_cli_evaluates_a_decompressed_bundle(external_data: Path, tmp_path: Path, relative: str) -> None:
    target = tmp_path / Path(relative).name.removesuffix(".gz")
    target.write_bytes(gzip.decompress((external_data / relative).read_bytes()))
    for output in ("json", "text"):
        run = CliRunner().invoke(main, ["evaluate", str(target), "--as-of", AS_OF, "--format", output])
        assert run.exit_code == 0, run.stderr
        assert run.stderr == ""
    payload = json.loads(CliRunner().invoke(main, ["evaluate", str(target), "--trial", "nct05247203", "--as-of", AS_OF, "--format", "json"]).stdout)
    assert payload == _evaluate(external_data / relative)


def test_cli_on_a_bundle_without_patient_is_a_clean_error(external_data: Path, tmp_path: Path) -> None:
    source = next((external_data / "smart-generated-sample-data-r4").glob("hospitalInformation*.json.gz"))
    target = tmp_path / "hospital.json"
    target.write_bytes(gzip.decompress(source.read_bytes()))
    run = CliRunner().invoke(main, ["evaluate", str(target), "--as-of", AS_OF])
    assert run.exit_code == 2
    assert "no Patient" in run.stderr


def test_readme_evaluate_example_is_the_real_output(external_data: Path, tmp_path: Path) -> None:
    """README's `trialcds evaluate` example (María Elena Méndez, deceased) is what the CLI
    prints: each shown line is the start of the real line (long lines are cut there)."""
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    command = "$ .venv/bin/trialcds evaluate /tmp/p.json --trial nct05247203 --as-of 2026-11-25\n"
    shown = readme[readme.index(command) + len(command):].split("\n...\n", 1)[0].splitlines()
    target = tmp_path / "p.json"
    target.write_bytes(gzip.decompress((external_data / LUPUS_FOLDER / "Maria_Elena_Mendez_5334b0c8.json.gz").read_bytes()))
    run = CliRunner().invoke(main, ["evaluate", str(target), "--trial", "nct05247203", "--as-of", AS_OF])
    printed = run.stdout.splitlines()
    assert printed[0] == shown[0]  # the first line in full: it says the patient is deceased
    assert "deceased" in shown[0]
    for mine, real in zip(shown, printed, strict=False):
        assert real.startswith(mine), (mine, real)
