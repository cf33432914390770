"""Every configured trial (`load_trials()`, whatever files `cds/trials/` holds) on every public
bundle in ../shared/data/external/: each of the 122 patients is decided by each trial without
an error, every criterion once in file order with a status and a reason, no patient is a
candidate while an inclusion is not met or an exclusion is met, and the deceased are never
candidates. The facts are read once per record for all trials (`cds.pipeline.evaluate_trials`,
as `trialcds evaluate --trial all` and the hook call do); the CLI runs each trial on a few
decompressed bundles.

Trial-specific expectations on these patients live in each trial's own tests.
"""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from cds.cli import main
from cds.pipeline import evaluate_trials
from cds.trials.loader import load_trials
from fhir_mappings.record import PatientRecord, RecordError

AS_OF = "2026-11-25"
PATIENTS = 122  # 100 SMART Synthea + 2 Inferno US Core + 20 generated lupus-module patients (SOURCE.md)
STATUSES = {"met", "not_met", "unknown"}
CLI_SAMPLES = (
    "pysynthea-lupus-forced/Delpha_Conn_e853a21f.json.gz",
    "inferno-reference-server-uscore/uscore_bundle_patient_85.json.gz",
    "smart-generated-sample-data-r4/Veta_Nitzsche_2df90d6d-67fe-4c32-a43a-06562b9f7384.json.gz",
)


def _read(path: Path) -> Any:
    with gzip.open(path, "rb") as fh:
        return orjson.loads(fh.read())


def _died_by(bundle: dict[str, Any], as_of: str) -> bool:
    (person,) = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
    return person.get("deceasedBoolean") is True or person.get("deceasedDateTime", "9999")[:10] <= as_of


@pytest.fixture(scope="module")
def evaluations(external_data: Path) -> dict[str, tuple[bool, list[dict[str, Any]]]]:
    """Per patient bundle: whether the patient died by D, and each trial's evaluation JSON."""
    trials = list(load_trials().values())
    found = {}
    for path in sorted(external_data.glob("*/*.json.gz")):
        bundle = _read(path)
        try:
            record = PatientRecord.from_bundle(bundle)
        except RecordError:  # only the organisation, practitioner and profile bundles hold no Patient
            assert path.name.startswith(("hospitalInformation", "practitionerInformation", "uscore_bundle_asserted")), path.name
            continue
        results = evaluate_trials(record, trials, date.fromisoformat(AS_OF))
        found[path.name] = (_died_by(bundle, AS_OF), [r.to_json() for r in results])
    return found


def test_every_patient_is_decided_by_every_trial(evaluations) -> None:
    trials = load_trials()
    assert len(evaluations) == PATIENTS
    for name, (_, results) in evaluations.items():
        assert [r["trial"] for r in results] == list(trials), name
        for result in results:
            trial = trials[result["trial"]]
            assert [c["id"] for c in result["criteria"]] == [c.id for c in trial.criteria], (name, trial.id)
            assert result["decision"] in {"ineligible", "potentially_eligible"}, (name, trial.id)
            for entry in result["criteria"]:
                assert entry["status"] in STATUSES and entry["reason"], (name, trial.id, entry["id"])


def test_no_candidate_while_an_inclusion_fails_or_an_exclusion_holds(evaluations) -> None:
    for name, (_, results) in evaluations.items():
        for result in results:
            blocking = [
                c["id"] for c in result["criteria"]
                if (c["kind"], c["status"]) in {("inclusion", "not_met"), ("exclusion", "met")}
            ]
            if blocking:
                assert result["decision"] == "ineligible", (name, result["trial"], blocking)


def test_the_deceased_are_never_candidates(evaluations) -> None:
    deceased = 0
    for name, (died, results) in evaluations.items():
        deceased += died
        for result in results:
            assert (result["not_candidate_reason"] == "deceased") is died, (name, result["trial"])
            if died:
                assert (result["decision"], result["eligible_from"]) == ("ineligible", None), (name, result["trial"])
    assert deceased == 21  # 18 SMART Synthea patients, 2 generated lupus patients, 1 US Core
    assert evaluations["Maria_Elena_Mendez_5334b0c8.json.gz"][0]  # the README's example died in 2018


@pytest.mark.parametrize("trial_id", ["all", *sorted(load_trials())])
@pytest.mark.parametrize("relative", CLI_SAMPLES)
def test_the_cli_evaluates_each_trial_on_a_decompressed_bundle(external_data: Path, tmp_path: Path, trial_id: str, relative: str, evaluations) -> None:
    """`--trial ID` prints that trial's evaluation; `--trial all` the list of every trial's."""
    target = tmp_path / Path(relative).name.removesuffix(".gz")
    target.write_bytes(gzip.decompress((external_data / relative).read_bytes()))
    run = CliRunner().invoke(main, ["evaluate", str(target), "--trial", trial_id, "--as-of", AS_OF, "--format", "json"])
    assert run.exit_code == 0, run.stderr
    assert run.stderr == ""
    every = evaluations[Path(relative).name][1]
    expected = every if trial_id == "all" else next(r for r in every if r["trial"] == trial_id)
    assert json.loads(run.stdout) == expected
