"""`trialcds evaluate --trial all` (the default): every configured trial, in trial-id order,
as a JSON list or one text block per trial; `--trial ID` keeps printing one evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fhir_builders import AS_OF, bundle, condition, days_before, observation, patient
from trial_files import trial_file_variant

from cds.cli import main

# A site's copy of the shipped trial whose id sorts first, with hemoglobin down to 60 g/L.
EARLY_ID = "aaa-hb60"
EARLY = (
    ("id: nct05247203\n", f"id: {EARLY_ID}\n"),
    ('short_title: "telitacicept, SLE"', 'short_title: "telitacicept, SLE, Hb 60"'),
    ('comparator: "<", value: 85, unit: g/L', 'comparator: "<", value: 60, unit: g/L'),
)


@pytest.fixture
def trials_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "trials"
    trial_file_variant(folder, name="nct05247203.yaml")
    trial_file_variant(folder, *EARLY, name="zz-site-copy.yaml")
    return folder


@pytest.fixture
def patient_file(tmp_path: Path) -> Path:
    """Hemoglobin 84 g/L: below 85 g/L (the shipped trial's E3.4), not below 60 g/L."""
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle(
        patient(birth_date="1988-04-02", id="cli-1"),
        condition("snomed", "55464009", onset="2019-05-01"),
        observation("718-7", 84, "g/L", on=days_before(5), id="hb-1"),
    )))
    return path


def _run(*args: str) -> object:
    return CliRunner().invoke(main, ["evaluate", *args, "--as-of", AS_OF.isoformat()])


def _e34(evaluation: dict) -> str:
    return next(c["status"] for c in evaluation["criteria"] if c["id"] == "E3.4")


@pytest.mark.parametrize("selector", [(), ("--trial", "all")])
def test_json_is_a_list_of_every_trial_in_trial_id_order(patient_file, trials_dir, selector):
    run = _run(str(patient_file), "--trials-dir", str(trials_dir), *selector, "--format", "json")
    assert run.exit_code == 0, run.stderr
    payload = json.loads(run.stdout)
    assert [(e["trial"], e["decision"], _e34(e)) for e in payload] == [
        (EARLY_ID, "potentially_eligible", "not_met"),
        ("nct05247203", "ineligible", "met"),
    ]


def test_text_is_one_block_per_trial(patient_file, trials_dir):
    run = _run(str(patient_file), "--trials-dir", str(trials_dir))
    assert run.exit_code == 0, run.stderr
    blocks = run.stdout.rstrip("\n").split("\n\n")
    assert [block.splitlines()[0].split(":")[0] for block in blocks] == [
        "NCT05247203 (telitacicept, SLE, Hb 60)", "NCT05247203 (telitacicept, SLE)",
    ]
    assert any(line.startswith("[ ] E3.4") for line in blocks[0].splitlines())
    assert any(line.startswith("[x] E3.4") for line in blocks[1].splitlines())


def test_one_trial_by_id_is_one_json_object(patient_file, trials_dir):
    run = _run(str(patient_file), "--trials-dir", str(trials_dir), "--trial", EARLY_ID, "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert json.loads(run.stdout)["trial"] == EARLY_ID


def test_the_trials_folder_comes_from_the_service_setting(patient_file, trials_dir, monkeypatch):
    monkeypatch.setenv("TRIALCDS_TRIALS_DIR", str(trials_dir))
    run = _run(str(patient_file), "--format", "json")
    assert [e["trial"] for e in json.loads(run.stdout)] == [EARLY_ID, "nct05247203"]


def test_an_unknown_trial_names_the_configured_ones(patient_file, trials_dir):
    run = _run(str(patient_file), "--trials-dir", str(trials_dir), "--trial", "nct00000000")
    assert run.exit_code == 2
    assert run.stderr == (
        "trialcds evaluate: error: unknown trial 'nct00000000' (configured: aaa-hb60, nct05247203, or all)\n"
    )


def test_a_bad_trial_file_is_a_one_line_error(patient_file, tmp_path):
    path = trial_file_variant(tmp_path / "bad", ("condition: {valuesets: [cns_disease]", "condition: {valuesets: [cns_diseases]"))
    run = _run(str(patient_file), "--trials-dir", str(path.parent))
    assert run.exit_code == 2
    assert run.stderr == (
        f"trialcds evaluate: error: {path}: criterion E2: logic.condition.valuesets[0]: unknown value set 'cns_diseases'\n"
    )
