"""A whole screening run: open the export, run an engine, write the outputs."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cds.population.export import open_export
from cds.population.job import EngineResult, Job, make_job
from cds.population.local_engine import bucket_count, run_local
from cds.population.outputs import RunOutcome, finish, write_outputs
from cds.population.state import RunState, run_fingerprint
from cds.trials.loader import TRIALS_DIR, load_trials

ENGINES = ("local", "spark")


class ScreenError(ValueError):
    """The run cannot start (unknown trial, and the export and state errors it re-raises)."""


@dataclass(frozen=True)
class ScreenRequest:
    """What `trialcds screen` was asked."""

    source: Path
    out_dir: Path
    trial_ids: tuple[str, ...]  # empty: every configured trial
    as_of: date
    engine: str = "local"
    workers: int = 1
    master: str | None = None
    trials_folder: Path = TRIALS_DIR


def select_trials(request: ScreenRequest) -> tuple:
    """The trials asked for, in the order given (all of them, by id, when none is named).

    :raise ScreenError: an unknown trial id.
    """
    configured = load_trials(request.trials_folder)
    ids = request.trial_ids or tuple(sorted(configured))
    unknown = [i for i in ids if i not in configured]
    if unknown:
        raise ScreenError(f"unknown trial {', '.join(map(repr, unknown))} (configured: {', '.join(sorted(configured))})")
    return tuple(configured[i] for i in dict.fromkeys(ids))


def run_screen(request: ScreenRequest) -> tuple[RunOutcome, bool]:
    """Screen the export; return what the run found and whether it resumed a stopped run.

    :raise ScreenError, ExportError, StateError, TrialDefinitionError, CompartmentError:
        the run cannot start.
    """
    started = time.perf_counter()
    export = open_export(request.source)
    job = make_job(export, select_trials(request), request.as_of, request.trials_folder)
    job.compartment.check_known(job.plan.resource_types)
    buckets = bucket_count(job, request.workers) if request.engine == "local" else 0
    request.out_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = run_fingerprint(export, job.trials, job.spec.digest, request.as_of.isoformat(), request.engine, buckets)
    state, resumed = RunState.open(request.out_dir, fingerprint)
    result = _run_engine(request, job, state, buckets)
    outcome = write_outputs(request.out_dir, job, export, result, request.engine)
    finish(request.out_dir, outcome, time.perf_counter() - started)
    state.remove()
    return outcome, resumed


def _run_engine(request: ScreenRequest, job: Job, state: RunState, buckets: int) -> EngineResult:
    if request.engine == "spark":
        from cds.population.spark_engine import (
            run_spark,  # PySpark is an optional extra
        )

        return run_spark(job, state, request.master or f"local[{request.workers}]")
    return run_local(job, state, request.workers, buckets)
