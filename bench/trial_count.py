"""One trial against every configured trial (issue 12, "Fast with four trials").

The same full-prefetch requests (the prefetch every configured trial needs, as discovery
publishes it) go to a second service whose trials folder holds the baseline trial alone;
the main run's service has every configured trial. The difference between the two is the
work each added trial brings: its criteria and its card, on facts extracted once.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from bench.fetch_mode import SERVICE_PATH
from bench.measure import Workload, http_times
from bench.servers import benchmark_service
from bench.stats import Summary
from cds.trials.loader import TRIALS_DIR, load_trial

# The trial the comparison keeps alone: the first trial of the project.
BASELINE_TRIAL = "nct05247203"


def baseline_folder(workdir: Path) -> Path:
    """A trials folder in `workdir` holding only the baseline trial's file (copied from the shipped trials).

    :raise LookupError: no shipped trial file has the baseline trial's id.
    """
    folder = workdir / "one-trial"
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(TRIALS_DIR.glob("*.yaml")):
        if load_trial(path).id == BASELINE_TRIAL:
            shutil.copy(path, folder / path.name)
            return folder
    raise LookupError(f"no trial file in {TRIALS_DIR} has the id {BASELINE_TRIAL!r}")


def one_trial_http(
    workdir: Path, workers: int, env: Mapping[str, str], workloads: list[Workload], repeat: Mapping[int, int],
) -> tuple[dict[int, Summary], dict[int, int]]:
    """HTTP times and non-200 counts per size, against a service with the baseline trial only."""
    times, errors = {}, {}
    settings = {**env, "TRIALCDS_TRIALS_DIR": str(baseline_folder(workdir))}
    with benchmark_service(workdir, workers, settings) as service:
        for workload in workloads:
            times[workload.size], errors[workload.size] = http_times(
                service.base_url + SERVICE_PATH, workload, repeat[workload.size]
            )
    return times, errors
