"""Run `trialcds screen` as a user does (the click command) and read what it wrote."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from click.testing import CliRunner

from cds.cli import main

AS_OF = "2026-11-25"


@dataclass(frozen=True)
class Screened:
    """The command's exit code and output, and the files it wrote."""

    exit_code: int
    stdout: str
    stderr: str
    out: Path

    def evaluations(self) -> list[dict[str, Any]]:
        """Every line of evaluations.ndjson."""
        return [orjson.loads(line) for line in (self.out / "evaluations.ndjson").read_bytes().splitlines()]

    def by_patient(self, trial: str = "nct05247203") -> dict[str, dict[str, Any]]:
        """The evaluations of one trial, by patient reference."""
        return {e["patient"]: e for e in self.evaluations() if e["trial"] == trial}

    def csv(self, name: str) -> list[dict[str, str]]:
        """The rows of one of the CSV outputs."""
        with open(self.out / name, newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))

    def summary(self) -> dict[str, Any]:
        """run_summary.json."""
        return orjson.loads((self.out / "run_summary.json").read_bytes())


def screen(source: Path, out: Path, *args: str) -> Screened:
    """`trialcds screen SOURCE --out OUT --as-of 2026-11-25 ARGS...`."""
    result = CliRunner().invoke(main, ["screen", str(source), "--out", str(out), "--as-of", AS_OF, *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Screened(result.exit_code, result.stdout, result.stderr, out)
