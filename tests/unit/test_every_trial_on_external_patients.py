"""`trialcds evaluate --trial all` decides every public patient in ../shared/data/external/
(122 patients: generated lupus, US Core reference-server and SMART sample patients) for
every configured trial, whatever trial files are shipped: one evaluation per trial in
trial-id order, every criterion once in file order with a status and a reason, and a
decision that follows from them (no patient with a met exclusion or an unmet inclusion is
a candidate).

The bulk runs go through `cds.pipeline.evaluate_trials`, the path the CLI takes; one
bundle of each folder goes through the CLI itself and prints the same evaluations.
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
STATUSES = {"met", "not_met", "unknown"}


@pytest.fixture(scope="module")
def evaluated(external_data: Path) -> dict[Path, list[dict[str, Any]]]:
    """Every configured trial's evaluation of each patient bundle, by bundle path."""
    trials = list(load_trials().values())
    found = {}
    for path in sorted(external_data.glob("*/*.json.gz")):
        try:
            record = PatientRecord.from_bundle(orjson.loads(gzip.decompress(path.read_bytes())))
        except RecordError:  # the SMART practitioner and hospital files, an asserted-date fragment
            continue
        found[path] = [result.to_json() for result in evaluate_trials(record, trials, date.fromisoformat(AS_OF))]
    return found


def test_every_patient_is_decided_for_every_configured_trial(evaluated: dict[Path, list[dict[str, Any]]]) -> None:
    trials = load_trials()
    assert len(evaluated) == 122
    for path, evaluations in evaluated.items():
        assert [e["trial"] for e in evaluations] == sorted(trials), path.name
        for evaluation in evaluations:
            trial = trials[evaluation["trial"]]
            assert [c["id"] for c in evaluation["criteria"]] == [c.id for c in trial.criteria], path.name
            assert all(c["status"] in STATUSES and c["reason"] for c in evaluation["criteria"]), path.name
            blocked = any(c["status"] == ("not_met" if c["kind"] == "inclusion" else "met") for c in evaluation["criteria"])
            expected = "ineligible" if blocked or evaluation["not_candidate_reason"] else "potentially_eligible"
            assert evaluation["decision"] == expected, (path.name, evaluation["trial"])


def test_the_cli_prints_the_same_evaluations(evaluated: dict[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    picked = {path.parent.name: path for path in evaluated}  # the last bundle of each folder
    assert len(picked) == 3
    for path in picked.values():
        target = tmp_path / path.name.removesuffix(".gz")
        target.write_bytes(gzip.decompress(path.read_bytes()))
        run = CliRunner().invoke(main, ["evaluate", str(target), "--trial", "all", "--as-of", AS_OF, "--format", "json"])
        assert run.exit_code == 0, run.stderr
        assert json.loads(run.stdout) == evaluated[path]
