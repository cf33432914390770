"""`trialcds screen` over ../shared/data/external laid out as a Bulk export.

Every patient's line in evaluations.ndjson is what `trialcds evaluate --format json` gives
on that patient's own Bundle; attrition and candidates follow from the evaluations.
"""

from __future__ import annotations

import gzip
import shutil
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from screening import AS_OF, Screened, screen

from bench.bulk_export import read_bundle, write_export
from cds.cli import main
from cds.pipeline import evaluate_trial
from cds.trials.loader import load_trials
from fhir_mappings.record import PatientRecord, RecordError

TRIAL = "nct05247203"


@pytest.fixture(scope="module")
def screened(external_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Screened:
    return screen(external_export, tmp_path_factory.mktemp("screen-external"), "--workers", "2")


@pytest.fixture(scope="module")
def bundle_evaluations(external_bundles: list[Path]) -> dict[str, dict[str, Any]]:
    """The evaluation of each patient Bundle, as `trialcds evaluate` computes it, by patient."""
    trial = load_trials()[TRIAL]
    found = {}
    for path in external_bundles:
        try:
            record = PatientRecord.from_bundle(read_bundle(path))
        except RecordError:  # the practitioner, hospital and profile Bundles hold no patient
            continue
        result = evaluate_trial(record, trial, date.fromisoformat(AS_OF)).to_json()
        found[result["patient"]] = result
    return found


def test_every_patient_is_evaluated_as_trialcds_evaluate_does_on_its_bundle(
    screened: Screened, bundle_evaluations: dict[str, dict[str, Any]]
) -> None:
    assert screened.exit_code == 0, screened.stderr
    mine = screened.by_patient()
    assert len(bundle_evaluations) == 122
    assert mine.keys() == bundle_evaluations.keys()
    for patient, expected in bundle_evaluations.items():
        assert mine[patient] == expected, patient
    assert len(screened.evaluations()) == len(mine) * len(load_trials()), "one line per patient and trial"
    decisions = Counter(e["decision"] for e in mine.values())
    assert decisions["potentially_eligible"] > 0 and decisions["ineligible"] > 0


def test_the_cli_on_a_bundle_prints_the_same_line(screened: Screened, external_bundles: list[Path], tmp_path: Path) -> None:
    """Three patients through `trialcds evaluate --format json` itself (a lupus, a US Core, a SMART patient)."""
    picked = [
        next(p for p in external_bundles if p.parent.name == "pysynthea-lupus-forced"),
        next(p for p in external_bundles if p.name == "uscore_bundle_patient_85.json.gz"),
        next(p for p in external_bundles if p.parent.name == "smart-generated-sample-data-r4" and "Information" not in p.name),
    ]
    mine = {(e["trial"], e["patient"]): e for e in screened.evaluations()}
    for path in picked:
        plain = tmp_path / path.name.removesuffix(".gz")
        plain.write_bytes(gzip.decompress(path.read_bytes()))
        result = CliRunner().invoke(main, ["evaluate", str(plain), "--as-of", AS_OF, "--format", "json", "--trial", "all"])
        assert result.exit_code == 0, result.output
        printed = orjson.loads(result.stdout)  # one evaluation per configured trial
        assert [mine[(e["trial"], e["patient"])] for e in printed] == printed


def test_attrition_counts_follow_from_the_evaluations(screened: Screened) -> None:
    evaluations = list(screened.by_patient().values())
    rows = {row["criterion"]: row for row in screened.csv("attrition.csv") if row["trial"] == TRIAL}
    criteria = [c.id for c in load_trials()[TRIAL].criteria]
    assert [r["criterion"] for r in screened.csv("attrition.csv") if r["trial"] == TRIAL] == ["", "not_evaluated", *criteria, "decision"]
    remaining = list(evaluations)
    for cid in criteria:
        statuses = Counter(next(c for c in e["criteria"] if c["id"] == cid)["status"] for e in evaluations)
        row = rows[cid]
        assert (int(row["met"]), int(row["not_met"]), int(row["unknown"])) == (statuses["met"], statuses["not_met"], statuses["unknown"])
        kind = row["kind"]
        remaining = [e for e in remaining if next(c for c in e["criteria"] if c["id"] == cid)["status"]
                     != ("not_met" if kind == "inclusion" else "met")]
        assert int(row["remaining"]) == len(remaining), cid
    assert int(rows["decision"]["remaining"]) == sum(e["decision"] == "potentially_eligible" for e in evaluations)
    assert int(rows[""]["remaining"]) == len(evaluations)


def test_candidates_are_the_potentially_eligible_and_those_eligible_later(screened: Screened) -> None:
    rows = screened.csv("candidates.csv")
    for trial in load_trials():
        evaluations = screened.by_patient(trial)
        expected = {p for p, e in evaluations.items() if e["decision"] == "potentially_eligible" or e["eligible_from"]}
        mine = [r for r in rows if r["trial"] == trial]
        assert {r["patient"] for r in mine} == expected, trial
        for row in mine:
            unknown = [c for c in evaluations[row["patient"]]["criteria"] if c["status"] == "unknown"]
            assert int(row["to_confirm"]) == len(unknown)
            assert row["to_confirm_labels"].split("; ") == [f"{c['id']} {c['label']}" for c in unknown]
    assert rows


def test_files_no_trial_reads_are_not_opened_and_the_work_folder_is_removed(screened: Screened) -> None:
    summary = screened.summary()
    assert summary["patients"] == 122
    assert 0 < summary["files_read"] < summary["files"]  # Claim, Encounter, DocumentReference... are never read
    assert summary["observations_skipped_by_code"] > 0
    assert summary["input_problems"] == 0 and summary["orphan_patients"] == 0
    assert not (screened.out / ".trialcds-screen").exists()


def test_without_a_manifest_and_with_types_split_over_files_the_result_is_the_same(
    screened: Screened, external_lines: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    written = write_export(external_lines, folder, manifest=False, per_file=3_000)
    assert len([p for p in written if p.name.startswith("Observation.")]) > 2
    again = screen(folder, tmp_path / "out", "--workers", "1")
    assert again.exit_code == 0, again.stderr
    assert sorted(again.evaluations(), key=lambda e: e["patient"]) == sorted(screened.evaluations(), key=lambda e: e["patient"])


def test_a_second_run_into_the_same_folder_starts_afresh(screened: Screened, external_export: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(screened.out, out)
    again = screen(external_export, out, "--workers", "1")
    assert again.exit_code == 0
    assert sorted(again.evaluations(), key=lambda e: e["patient"]) == sorted(screened.evaluations(), key=lambda e: e["patient"])
