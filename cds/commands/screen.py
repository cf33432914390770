"""`trialcds screen SOURCE --out DIR`: every configured trial over a whole FHIR Bulk Data export."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import NoReturn

import click

from cds.population.compartment import CompartmentError
from cds.population.export import ExportError
from cds.population.job import TrialFilesChanged
from cds.population.outputs import REPORT, RunOutcome
from cds.population.screen import ENGINES, ScreenError, ScreenRequest, run_screen
from cds.population.state import StateError
from cds.trials.loader import TrialDefinitionError

# Input problems echoed on stderr; input_problems.csv and the report hold them all.
ECHOED_PROBLEMS = 20


def fail(message: str) -> NoReturn:
    """One line on stderr and exit code 2: the run could not start."""
    click.echo(f"trialcds screen: error: {message}", err=True)
    sys.exit(2)


def _spark_missing() -> NoReturn:
    fail("the spark engine needs PySpark: pip install -e '.[spark]'")


def _echo_outcome(outcome: RunOutcome, out_dir: Path, resumed: bool) -> None:
    counts = outcome.counts()
    file_problems = [p for p in outcome.problems if p.file != "(export)"]
    for problem in file_problems[:ECHOED_PROBLEMS]:
        click.echo(f"trialcds screen: {problem}", err=True)
    if len(file_problems) > ECHOED_PROBLEMS:
        click.echo(f"trialcds screen: … and {len(file_problems) - ECHOED_PROBLEMS} more (input_problems.csv)", err=True)
    if counts["orphan_patients"]:
        click.echo(f"trialcds screen: {sum(counts['orphan_resources'].values())} resources name "
                   f"{counts['orphan_patients']} patients that are not in the export (input_problems.csv)", err=True)
    if counts["not_evaluated"]:
        click.echo(f"trialcds screen: {counts['not_evaluated']} patients could not be evaluated (not_evaluated.csv)", err=True)
    per_trial = ", ".join(f"{trial} {n}" for trial, n in counts["candidates"].items())
    click.echo(f"{'resumed and finished' if resumed else 'screened'} {counts['patients']:,} patients as of {counts['as_of']} "
               f"in {counts['elapsed_seconds']:.1f} s; candidates: {per_trial}")
    click.echo(f"report: {out_dir / REPORT}")


@click.command()
@click.argument("source", type=click.Path(path_type=Path, file_okay=False))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder for the outputs (made if missing); a stopped run there resumes.")
@click.option("--trial", "trial_ids", multiple=True, help="Trial id; repeat for several; 'all' (default) for every configured trial.")
@click.option("--as-of", "as_of_text", default=None, help="Evaluation date D, YYYY-MM-DD (default: today).")
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes (default: the CPU cores).")
@click.option("--master", default=None, help="Spark master URL (default local[WORKERS]), e.g. spark://host:7077.")
def screen(source: Path, out_dir: Path, trial_ids: tuple[str, ...], as_of_text: str | None, engine: str,
           workers: int | None, master: str | None) -> None:
    """Screen every patient of a FHIR Bulk Data export (a folder) against the trials.

    Exit code 0: done; 1: done, with input problems (input_problems.csv); 2: could not run.
    """
    try:
        as_of = date.fromisoformat(as_of_text) if as_of_text else date.today()
    except ValueError:
        fail(f"--as-of {as_of_text!r} is not a date (YYYY-MM-DD)")
    if master is not None and engine != "spark":
        fail("--master is for --engine spark")
    ids = () if not trial_ids or "all" in trial_ids else trial_ids
    request = ScreenRequest(source, out_dir, ids, as_of, engine, workers or os.cpu_count() or 1, master)
    try:
        outcome, resumed = run_screen(request)
    except (ExportError, ScreenError, StateError, TrialDefinitionError, CompartmentError, TrialFilesChanged) as exc:
        fail(str(exc))
    except ModuleNotFoundError as exc:
        if exc.name == "pyspark":
            _spark_missing()
        raise
    except KeyboardInterrupt:
        click.echo(f"\ntrialcds screen: stopped; finished work is kept in {out_dir}: run the same command again to resume",
                   err=True)
        sys.exit(130)
    _echo_outcome(outcome, out_dir, resumed)
    sys.exit(1 if outcome.problems else 0)
