"""Fetch mode at EHR scale (issue 11): 10,000-resource patients on sekmet-fhir at its default page
size, fetched by the service with its production FHIR settings, no prefetch.

Two measures: hook calls one after another for one patient (p50 / p95), and four hook calls at
once, one per patient, as four clinicians opening four such charts. Each answer is classed by the
service's own log line: `ok` (complete), `partial_data` (some data missing, usually the call's
budget running out) or the error code (412). Only `ok` answers count as answered.

It also runs alone, to measure another checkout of the service with the same harness (how the
"before" figures of docs/performance.md were taken, from the commit before issue 11):

    cd <checkout> && <python> -m bench.fetch_scale --out before.yaml

Only the harness's own modules and long-standing service modules are imported, so an older
checkout of `cds` can be measured with this file copied into its `bench/`.
"""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import click
import requests
import yaml

from bench.generate import generate_patient, hook_request, transaction_bundle
from bench.processes import cpu_seconds
from bench.servers import gunicorn_server, sekmet_server
from bench.stats import Summary

SERVICE_PATH = "/cds-services/trial-eligibility"
SIZE = 10_000
CONCURRENT_CALLS = 4
# The service as production runs it: its default FHIR timeouts and deadline, 2 workers
# (cds/gunicorn_conf.py); only the FHIR server and the evaluation date are set.
WORKERS = 2
# Far above any answer: the service's own deadline decides, not the client.
CLIENT_TIMEOUT_SECONDS = 120
OK = "ok"
# The benchmark's evaluation date (bench/run.py), inside the generated records.
AS_OF = date(2026, 6, 15)


@dataclass(frozen=True)
class ScaleResult:
    """Sequential and concurrent hook calls without prefetch for SIZE-resource patients."""

    size: int
    sequential: Summary
    sequential_outcomes: dict[str, int]
    concurrent_seconds: list[float]
    concurrent_outcomes: list[str]
    # CPU per sequential call of the service's workers and of the FHIR server: on a shared
    # machine the wall time stretches with other work, the CPU much less.
    service_cpu_ms_per_call: float | None = None
    server_cpu_ms_per_call: float | None = None

    @property
    def concurrent_all_answered(self) -> bool:
        """Whether every concurrent call got a complete answer (200, nothing missing)."""
        return all(outcome == OK for outcome in self.concurrent_outcomes)

    def to_yaml(self) -> dict:
        """The result as plain data (the form of the stored "before" figures)."""
        return {**asdict(self), "sequential": asdict(self.sequential)}

    @classmethod
    def from_yaml(cls, data: dict) -> ScaleResult:
        """Read back `to_yaml`'s form."""
        return cls(**{**data, "sequential": Summary(**data["sequential"])})


def _outcomes(log_text: str) -> dict[str, str]:
    """hookInstance -> the outcome the service logged for it."""
    outcomes = {}
    for line in log_text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("event") == "hook call":
            outcomes[entry["hookInstance"]] = entry["outcome"]
    return outcomes


def measure_fetch_scale(workdir: Path, repeat: int, as_of: date) -> ScaleResult:
    """Load CONCURRENT_CALLS generated patients of SIZE resources into sekmet, then time hook calls."""
    token = secrets.token_urlsafe(24)
    patients = [
        generate_patient(SIZE, as_of, seed=n, patient_id=f"bench-scale-{n}") for n in range(CONCURRENT_CALLS)
    ]
    with sekmet_server(workdir / "sekmet-scale", token) as fhir:
        loader = requests.Session()
        loader.headers["Authorization"] = f"Bearer {token}"
        for resources in patients:
            response = loader.post(
                fhir.base_url, json=transaction_bundle(resources),
                headers={"Content-Type": "application/fhir+json"}, timeout=600,
            )
            response.raise_for_status()
        env = {"TRIALCDS_FHIR_SERVERS": fhir.base_url, "TRIALCDS_AS_OF": as_of.isoformat()}
        service_dir = workdir / "scale"
        service_dir.mkdir(parents=True, exist_ok=True)
        with gunicorn_server(service_dir, env, ["--workers", str(WORKERS)]) as service:
            url = service.base_url + SERVICE_PATH

            def call(patient_id: str) -> tuple[str, float]:
                body = hook_request(patient_id, None, fhir.base_url, token)
                start = time.perf_counter()
                requests.post(url, json=body, timeout=CLIENT_TIMEOUT_SECONDS)
                return body["hookInstance"], time.perf_counter() - start

            call(patients[0][0]["id"])  # warm-up: the worker's first call
            workers, server = service.child_pids(), [fhir.process.pid]
            service_cpu, server_cpu = cpu_seconds(workers), cpu_seconds(server)
            sequential = [call(patients[0][0]["id"]) for _ in range(repeat)]
            service_cpu, server_cpu = cpu_seconds(workers) - service_cpu, cpu_seconds(server) - server_cpu
            with ThreadPoolExecutor(CONCURRENT_CALLS) as pool:
                concurrent = list(pool.map(call, [resources[0]["id"] for resources in patients]))
            outcomes = _outcomes(service.log_text())
    return ScaleResult(
        size=SIZE,
        sequential=Summary.of([seconds for _, seconds in sequential]),
        sequential_outcomes=dict(Counter(outcomes.get(instance, "no answer") for instance, _ in sequential)),
        concurrent_seconds=[round(seconds, 3) for _, seconds in concurrent],
        concurrent_outcomes=[outcomes.get(instance, "no answer") for instance, _ in concurrent],
        service_cpu_ms_per_call=round(service_cpu * 1000 / repeat, 1),
        server_cpu_ms_per_call=round(server_cpu * 1000 / repeat, 1),
    )


@click.command()
@click.option("--repeat", default=20, show_default=True, help="Sequential hook calls to time.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="YAML file for the result.")
def main(repeat: int, out: Path) -> None:
    """Measure fetch mode at scale for the checkout this runs in, and write the result as YAML."""
    workdir = Path(tempfile.mkdtemp(prefix="trialcds-fetch-scale-"))
    try:
        result = measure_fetch_scale(workdir, repeat, AS_OF)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    out.write_text(yaml.safe_dump(result.to_yaml(), sort_keys=False), encoding="utf-8")
    click.echo(f"wrote {out}")


if __name__ == "__main__":
    main()
