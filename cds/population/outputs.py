"""The run's outputs in DIR, all from what the engine left: evaluations, groups, file summaries.

`evaluations.ndjson` is the engine's evaluation lines put together; `attrition.csv`,
`candidates.csv` and `report.html` are counted from those lines alone, so they follow from
the evaluations whichever engine made them. What could not be read is in
`input_problems.csv` (file, line, problem) and the patients not evaluated in
`not_evaluated.csv` (patient, reason).
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from cds.population.attrition import CSV_COLUMNS as ATTRITION_COLUMNS
from cds.population.attrition import TrialAttrition
from cds.population.candidates import CSV_COLUMNS as CANDIDATE_COLUMNS
from cds.population.candidates import candidate_row
from cds.population.export import Export
from cds.population.job import EngineResult, Job
from cds.population.problems import Problem
from cds.population.report import render_report
from cds.population.state import write_atomic

EVALUATIONS = "evaluations.ndjson"
CANDIDATES = "candidates.csv"
ATTRITION = "attrition.csv"
NOT_EVALUATED = "not_evaluated.csv"
INPUT_PROBLEMS = "input_problems.csv"
REPORT = "report.html"
SUMMARY = "run_summary.json"


@dataclass
class RunOutcome:
    """What the run found, as the report and the command's last lines tell it."""

    job: Job
    export: Export
    engine: str
    attrition: dict[str, TrialAttrition]
    candidates: list[dict[str, Any]]
    not_evaluated: list[dict[str, Any]]
    problems: list[Problem]
    summaries: list[dict[str, Any]]
    orphan_patients: int = 0
    orphan_resources: Counter[str] = field(default_factory=Counter)
    unresolved_references: int = 0
    elapsed_seconds: float = 0.0

    @property
    def patients(self) -> int:
        """Patients in the export (evaluated or not)."""
        evaluated = max((a.evaluated for a in self.attrition.values()), default=0)
        return evaluated + len(self.not_evaluated)

    @property
    def as_of(self) -> date:
        """The evaluation date."""
        return self.job.spec.as_of

    def counts(self) -> dict[str, Any]:
        """The run in numbers (run_summary.json; the benchmark reads it)."""
        read = [s for s in self.summaries if s.get("read")]
        return {
            "engine": self.engine,
            "as_of": self.as_of.isoformat(),
            "trials": [t.id for t in self.job.trials],
            "files": len(self.summaries),
            "files_read": len(read),
            "lines_read": sum(s["lines"] for s in read),
            "resources_grouped": sum(s["patient"] for s in read),
            "shared_resources": sum(s["shared"] for s in read),
            "observations_skipped_by_code": sum(s["skipped_code"] for s in read),
            "patients": self.patients,
            "not_evaluated": len(self.not_evaluated),
            "orphan_patients": self.orphan_patients,
            "orphan_resources": dict(sorted(self.orphan_resources.items())),
            "unresolved_references": self.unresolved_references,
            "input_problems": len(self.problems),
            "candidates": {t: sum(1 for c in self.candidates if c["trial"] == t) for t in self.attrition},
            "elapsed_seconds": round(self.elapsed_seconds, 3),
        }


def write_outputs(out_dir: Path, job: Job, export: Export, result: EngineResult, engine: str) -> RunOutcome:
    """Write every output file; return what the run found."""
    outcome = RunOutcome(job, export, engine, {t.id: TrialAttrition(t) for t in job.trials}, [], [], [], result.summaries)
    _write_evaluations(out_dir, result.evaluation_files, outcome)
    _read_groups(result.group_files, outcome)
    outcome.problems = _problems(export, result.summaries, outcome)
    outcome.candidates.sort(key=lambda r: (r["trial"], r["eligible_from"], r["patient"]))
    _write_csv(out_dir / CANDIDATES, CANDIDATE_COLUMNS, outcome.candidates)
    rows = [row for a in outcome.attrition.values() for row in a.funnel(len(outcome.not_evaluated))]
    _write_csv(out_dir / ATTRITION, ATTRITION_COLUMNS, rows)
    _write_csv(out_dir / NOT_EVALUATED, ("patient", "reason"), outcome.not_evaluated)
    _write_csv(out_dir / INPUT_PROBLEMS, ("file", "line", "problem"),
               [{"file": p.file, "line": p.line if p.line is not None else "", "problem": p.message} for p in outcome.problems])
    return outcome


def finish(out_dir: Path, outcome: RunOutcome, elapsed_seconds: float) -> None:
    """The last two outputs, once the run's time is known: the summary and the report."""
    outcome.elapsed_seconds = elapsed_seconds
    write_atomic(out_dir / SUMMARY, orjson.dumps(outcome.counts(), option=orjson.OPT_INDENT_2))
    write_atomic(out_dir / REPORT, render_report(outcome).encode("utf-8"))


def _write_evaluations(out_dir: Path, files: list[Path], outcome: RunOutcome) -> None:
    """Put the evaluation lines together, counting attrition and candidates on the way."""
    target = out_dir / EVALUATIONS
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "wb") as out:
        for path in files:
            with open(path, "rb") as fh:
                for line in fh:
                    out.write(line)
                    evaluation = orjson.loads(line)
                    outcome.attrition[evaluation["trial"]].add(evaluation)
                    row = candidate_row(evaluation)
                    if row is not None:
                        outcome.candidates.append(row)
    os.replace(tmp, target)


def _read_groups(files: list[Path], outcome: RunOutcome) -> None:
    """Patients not evaluated, resources whose patient is not in the export, missing shared resources."""
    unresolved: Counter[str] = Counter()
    for path in files:
        with open(path, "rb") as fh:
            for line in fh:
                group = orjson.loads(line)
                if group["kind"] == "not_evaluated":
                    outcome.not_evaluated.append({"patient": group["patient"], "reason": group["reason"]})
                elif group["kind"] == "orphan":
                    outcome.orphan_patients += 1
                    outcome.orphan_resources.update(group["resources"])
                    kinds = ", ".join(f"{n} {t}" for t, n in group["resources"].items())
                    outcome.problems.append(Problem("(export)", None, f"{group['patient']} is not in the export, but {kinds} name it"))
                elif group["kind"] == "unresolved":
                    unresolved[group["reference"]] += group["patients"]
    outcome.not_evaluated.sort(key=lambda r: r["patient"])
    outcome.unresolved_references = len(unresolved)
    outcome.problems.extend(
        Problem("(export)", None, f"{reference} is named by records of {n} patient(s) but is not in the export")
        for reference, n in unresolved.items()
    )


def _problems(export: Export, summaries: list[dict[str, Any]], outcome: RunOutcome) -> list[Problem]:
    """Every input problem: the export's own, each file's (listed, then how many more), the groups'."""
    problems = list(export.problems)
    for summary in summaries:
        listed = [Problem.from_json(p) for p in summary.get("listed_problems") or []]
        problems.extend(listed)
        more = summary.get("problems", 0) - len(listed)
        if more > 0:
            problems.append(Problem(summary["file"], None, f"{more} more problem lines (only the first {len(listed)} are listed)"))
    return problems + sorted(outcome.problems, key=lambda p: p.message)


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)

