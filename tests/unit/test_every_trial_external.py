"""Every configured trial decides every public patient in ../shared/data/external/ (122
bundles: Synthea R4 transaction Bundles from SMART Health IT, the Inferno US Core patients,
the generated lupus patients), generic over `load_trials()`: a trial file added to
cds/trials/ is checked here with no test of its own.

For each trial and patient: every criterion once, in file order, with a status and a
reason; a decision; no patient potentially eligible while an exclusion is met or an
inclusion is not met; no deceased patient a candidate. Facts are extracted once per
record for all trials (`cds.pipeline.evaluate_trials`, as `trialcds evaluate --trial all`
does); the CLI itself runs once per trial on one decompressed bundle.
"""

from __future__ import annotations

import gzip
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
PATIENTS = 122
STATUSES = {"met", "not_met", "unknown"}


@pytest.fixture(scope="module")
def evaluations(external_data: Path) -> dict[str, list[dict[str, Any]]]:
    """Every patient bundle's evaluation by every configured trial, by file name."""
    trials = list(load_trials().values())
    found = {}
    for path in sorted(external_data.glob("*/*.json.gz")):
        with gzip.open(path, "rb") as fh:
            bundle = orjson.loads(fh.read())
        try:
            record = PatientRecord.from_bundle(bundle)
        except RecordError:  # the practitioner, hospital and profile Bundles hold no patient
            continue
        found[path.name] = [result.to_json() for result in evaluate_trials(record, trials, date.fromisoformat(AS_OF))]
    return found


def test_every_trial_decides_every_patient_with_every_criterion_in_order(evaluations) -> None:
    trials = load_trials()
    assert len(evaluations) == PATIENTS
    for name, results in evaluations.items():
        assert [r["trial"] for r in results] == list(trials), name
        for result in results:
            assert [c["id"] for c in result["criteria"]] == [c.id for c in trials[result["trial"]].criteria], (name, result["trial"])
            assert result["decision"] in ("potentially_eligible", "ineligible"), (name, result["trial"])
            for entry in result["criteria"]:
                assert entry["status"] in STATUSES and entry["reason"], (name, result["trial"], entry["id"])


def test_no_patient_is_a_candidate_while_a_criterion_blocks_or_after_death(evaluations) -> None:
    for name, results in evaluations.items():
        for result in results:
            blocking = [c["id"] for c in result["criteria"]
                        if (c["kind"], c["status"]) in (("exclusion", "met"), ("inclusion", "not_met"))]
            if blocking or result["not_candidate_reason"]:
                assert result["decision"] == "ineligible", (name, result["trial"], blocking)
            else:
                assert result["decision"] == "potentially_eligible", (name, result["trial"])


@pytest.mark.parametrize("trial_id", sorted(load_trials()))
def test_trialcds_evaluate_decides_a_patient_for_each_trial(external_data: Path, tmp_path: Path, trial_id: str) -> None:
    source = next(p for p in sorted((external_data / "pysynthea-lupus-forced").glob("*.json.gz")))
    plain = tmp_path / source.name.removesuffix(".gz")
    plain.write_bytes(gzip.decompress(source.read_bytes()))
    run = CliRunner().invoke(main, ["evaluate", str(plain), "--trial", trial_id, "--as-of", AS_OF, "--format", "json"])
    assert run.exit_code == 0, run.output
    printed = orjson.loads(run.stdout)
    assert printed["trial"] == trial_id and printed["decision"] in ("potentially_eligible", "ineligible")
