"""A stopped run resumes without redoing finished work, and its outputs are complete.

The stop is simulated where a user's Ctrl-C lands: inside the workers, in the middle of
evaluating patients (the worker processes are forked, so they run the patched function).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from screening import Screened, screen

from cds.population import local_engine, patient_group

STOP_AFTER = 40


class Journal:
    """Which patients each run evaluated and which files it read (appended from every worker)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.run = "first"
        self.stop_after: int | None = STOP_AFTER

    def path(self, what: str) -> Path:
        return self.folder / f"{self.run}.{what}"

    def note(self, what: str, text: str) -> int:
        with open(self.path(what), "a", encoding="utf-8") as fh:
            fh.write(text + "\n")
        return len(self.path(what).read_text().splitlines())

    def lines(self, run: str, what: str) -> list[str]:
        path = self.folder / f"{run}.{what}"
        return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Journal]:
    journal = Journal(tmp_path)
    evaluate_trials = patient_group.evaluate_trials
    partition_file = local_engine.partition_file

    def counted_evaluation(record: Any, trials: Any, as_of: Any) -> Any:
        evaluated = journal.note("patients", f"Patient/{record.patient_id}")
        if journal.stop_after is not None and evaluated > journal.stop_after:
            raise KeyboardInterrupt
        return evaluate_trials(record, trials, as_of)

    def counted_partition(file: Any, *args: Any) -> Any:
        journal.note("files", f"{file.name} {os.getpid()}")
        return partition_file(file, *args)

    monkeypatch.setattr(patient_group, "evaluate_trials", counted_evaluation)
    monkeypatch.setattr(local_engine, "partition_file", counted_partition)
    yield journal


# One trial, so each patient is one line of evaluations.ndjson.
ONE_TRIAL = ("--trial", "nct05247203")


def _finished_patients(out: Path) -> set[str]:
    evaluated = out / ".trialcds-screen" / "evaluated"
    found = set()
    for done in evaluated.glob("*.done"):
        for line in done.with_suffix(".ndjson").read_bytes().splitlines():
            found.add(orjson.loads(line)["patient"])
    return found


def test_a_run_stopped_in_the_middle_resumes_and_evaluates_no_finished_patient_twice(
    journal: Journal, external_export: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    stopped = screen(external_export, out, "--workers", "2", *ONE_TRIAL)
    assert stopped.exit_code == 130
    assert "run the same command again to resume" in stopped.stderr
    finished = _finished_patients(out)
    assert 0 < len(finished) < 122
    assert not (out / "evaluations.ndjson").exists()

    journal.run, journal.stop_after = "second", None
    resumed = screen(external_export, out, "--workers", "2", *ONE_TRIAL)
    assert resumed.exit_code == 0, resumed.stderr
    assert resumed.stdout.startswith("resumed and finished 122 patients")
    evaluated_again = set(journal.lines("second", "patients"))
    assert not evaluated_again & finished, "a patient finished before the stop was evaluated again"
    assert journal.lines("second", "files") == [], "every file was grouped before the stop: none is read again"
    lines = [(e["trial"], e["patient"]) for e in resumed.evaluations()]  # one per patient of the one trial
    assert len(lines) == len(set(lines)) == 122

    journal.run = "uninterrupted"
    whole = screen(external_export, tmp_path / "whole", "--workers", "2", *ONE_TRIAL)
    assert _sorted(resumed) == _sorted(whole)
    for name in ("attrition.csv", "candidates.csv", "not_evaluated.csv", "input_problems.csv"):
        assert (out / name).read_bytes() == (whole.out / name).read_bytes(), name


def _sorted(result: Screened) -> list[dict[str, Any]]:
    return sorted(result.evaluations(), key=lambda e: e["patient"])
