"""Run the whole benchmark and write docs/performance.md.

    .venv/bin/python -m bench.run            # full run (about 4 minutes on 2 cores)
    .venv/bin/python -m bench.run --quick    # fewer repetitions, to try the harness

wrk gives the throughput figure (Debian/Ubuntu: `sudo apt-get install wrk`); without it a
Python load generator stands in. The fetch-mode part needs sekmet-fhir (the `test` extra).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import click
import orjson

from bench import REPO_ROOT
from bench.fetch_mode import SERVICE_PATH, measure_fetch_mode
from bench.fetch_scale import measure_fetch_scale
from bench.generate import generate_patient, hook_request, prefetch_for
from bench.load import run_load
from bench.measure import Workload, engine_times, http_times, parse_times
from bench.processes import cpu_seconds, peak_rss_mb
from bench.report import RunResults, TrialCounts, write_report
from bench.servers import benchmark_service
from bench.trial_count import BASELINE_TRIAL, one_trial_http
from cds.config import DEFAULTS
from cds.record.templates import PrefetchTemplate, templates_for
from cds.trials.loader import load_trials
from cds.trials.schema import Trial

SIZES = (100, 1_000, 10_000)
THROUGHPUT_SIZE = 1_000
# The sizes of issue 12's targets, measured with the baseline trial alone too.
TRIAL_COUNT_SIZES = (1_000, 10_000)
AS_OF = date(2026, 6, 15)
WORKERS = 2


@dataclass(frozen=True)
class Plan:
    """How many times each measure repeats."""

    engine_repeat: dict[int, int]
    http_repeat: dict[int, int]
    parse_repeat: int
    fetch_repeat: int
    load_seconds: int
    load_clients: int
    scale_repeat: int


FULL = Plan({100: 200, 1_000: 100, 10_000: 20}, {100: 300, 1_000: 200, 10_000: 30}, 20, 10, 20, 4, 20)
QUICK = Plan({100: 20, 1_000: 10, 10_000: 3}, {100: 20, 1_000: 20, 10_000: 3}, 5, 2, 5, 4, 3)


def _templates(trials: dict[str, Trial]) -> tuple[PrefetchTemplate, ...]:
    """The prefetch templates the service publishes for these trials (as its discovery derives them)."""
    resource_types = {"Patient"}.union(*(trial.resource_types for trial in trials.values()))
    codes = frozenset().union(*(trial.observation_codes for trial in trials.values()))
    return templates_for(resource_types, codes, DEFAULTS["FHIR_SEARCH_COUNT"])


def _workloads(templates: tuple[PrefetchTemplate, ...], workdir: Path) -> list[Workload]:
    workloads = []
    for size in SIZES:
        resources = generate_patient(size, AS_OF)
        body = hook_request(resources[0]["id"], prefetch_for(templates, resources))
        path = workdir / f"hook-{size}.json"
        path.write_bytes(orjson.dumps(body))
        workloads.append(Workload(size, resources, path))
    return workloads


@click.command()
@click.option("--quick", is_flag=True, help="Few repetitions: checks the harness, numbers are rough.")
@click.option("--skip-fetch", is_flag=True, help="Leave out fetch mode (no sekmet-fhir installed).")
@click.option("--out", type=click.Path(path_type=Path), default=REPO_ROOT / "docs" / "performance.md",
              show_default=True, help="Where to write the report.")
def main(quick: bool, skip_fetch: bool, out: Path) -> None:
    """Generate patients, measure engine, HTTP (every trial, and the baseline trial alone), parse yardstick,
    fetch mode, load and memory."""
    plan = QUICK if quick else FULL
    trials = load_trials()
    workdir = Path(tempfile.mkdtemp(prefix="trialcds-bench-"))
    try:
        templates = _templates(trials)
        workloads = _workloads(templates, workdir)
        by_size = {w.size: w for w in workloads}
        click.echo("engine (in-process)…")
        engine = {w.size: engine_times(w, trials, AS_OF, plan.engine_repeat[w.size]) for w in workloads}
        click.echo("orjson.loads yardstick…")
        parse = parse_times(workloads, plan.parse_repeat)
        http, http_errors = {}, {}
        with benchmark_service(workdir, WORKERS, {"TRIALCDS_AS_OF": AS_OF.isoformat()}) as service:
            url = service.base_url + SERVICE_PATH
            for size in SIZES:
                click.echo(f"HTTP, {size} resources…")
                http[size], http_errors[size] = http_times(url, by_size[size], plan.http_repeat[size])
            click.echo("load…")
            workers = service.child_pids()
            cpu_before = cpu_seconds(workers)
            load = run_load(url, by_size[THROUGHPUT_SIZE].body_path, plan.load_clients, plan.load_seconds, workdir)
            cpu_ms_per_request = (cpu_seconds(workers) - cpu_before) * 1000 / max(load.requests, 1)
            # Serve the largest patient last, so each worker's peak RSS is taken after it.
            http_times(url, by_size[max(SIZES)], WORKERS * 2)
            rss = max(peak_rss_mb(pid) for pid in service.child_pids())
        click.echo(f"HTTP with {BASELINE_TRIAL} only…")
        one_trial, one_trial_errors = one_trial_http(
            workdir, WORKERS, {"TRIALCDS_AS_OF": AS_OF.isoformat()},
            [by_size[size] for size in TRIAL_COUNT_SIZES], plan.http_repeat,
        )
        one_trial_engine = engine_times(by_size[THROUGHPUT_SIZE], {BASELINE_TRIAL: trials[BASELINE_TRIAL]}, AS_OF,
                                        plan.engine_repeat[THROUGHPUT_SIZE])
        fetch = scale = None
        if not skip_fetch:
            click.echo("fetch mode…")
            fetch = measure_fetch_mode(by_size[THROUGHPUT_SIZE].resources, templates, workdir,
                                       plan.fetch_repeat, AS_OF.isoformat())
            click.echo("fetch mode at scale (four 10,000-resource patients)…")
            scale = measure_fetch_scale(workdir, plan.scale_repeat, AS_OF)
        command = ".venv/bin/python -m bench.run" + (" --quick" if quick else "") + (" --skip-fetch" if skip_fetch else "")
        trial_counts = TrialCounts(sorted(trials), BASELINE_TRIAL, one_trial, one_trial_errors, one_trial_engine)
        results = RunResults(list(SIZES), {w.size: w.body_megabytes for w in workloads}, engine, http, http_errors,
                             parse, fetch, scale, load, cpu_ms_per_request, rss, WORKERS, command, trial_counts)
        write_report(results, out)
        click.echo(f"wrote {out}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
