"""The in-process and over-HTTP measurements, each on the same generated patients.

The engine is timed from a built `PatientRecord` (what `cds.pipeline.evaluate_trials` is
given, with every trial the service has); over HTTP, the whole call is timed from the client, against gunicorn with the
repository's settings, so parsing, prefetch checks, cards and the response all count.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import orjson
import requests

from bench import REPO_ROOT
from bench.stats import Summary, timed
from cds.pipeline import evaluate_trials
from cds.trials.schema import Trial
from fhir_mappings.record import PatientRecord

HTTP_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Workload:
    """One generated patient: its resources and the full-prefetch hook request body on disk."""

    size: int
    resources: list[dict]
    body_path: Path

    @property
    def body_megabytes(self) -> float:
        """The request body's size in MB."""
        return self.body_path.stat().st_size / 1e6


def engine_times(workload: Workload, trials: dict[str, Trial], as_of: date, repeat: int) -> Summary:
    """Evaluate the trials on the patient's record, facts extracted once, as the service does per call."""
    record = PatientRecord.from_resources(workload.resources)
    chosen = [trials[key] for key in sorted(trials)]
    return Summary.of(timed(lambda: [r.to_json() for r in evaluate_trials(record, chosen, as_of)], repeat))


def parse_times(workloads: list[Workload], repeat: int) -> dict[int, Summary]:
    """`orjson.loads` of each request body, timed in a fresh process (see bench.parse_time)."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.parse_time", str(repeat), *(str(w.body_path) for w in workloads)],
        cwd=REPO_ROOT, capture_output=True, check=True,
    )
    seconds = orjson.loads(completed.stdout)
    return {w.size: Summary.of(seconds[str(w.body_path)]) for w in workloads}


def http_times(url: str, workload: Workload, repeat: int) -> tuple[Summary, int]:
    """POST the full-prefetch hook request `repeat` times, one at a time; return times and non-200 count."""
    body = workload.body_path.read_bytes()
    errors = 0
    with requests.Session() as session:

        def call() -> None:
            nonlocal errors
            response = session.post(url, data=body, headers={"Content-Type": "application/json"},
                                    timeout=HTTP_TIMEOUT_SECONDS)
            if response.status_code != 200 or "cards" not in response.json():
                errors += 1

        return Summary.of(timed(call, repeat)), errors
