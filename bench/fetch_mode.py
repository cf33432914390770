"""Fetch mode: a hook call without prefetch against sekmet-fhir (the e2e tests' FHIR server).

The service then runs every discovery search itself, concurrently. Its wall time is
compared with the slowest single search, run alone by the service's own FHIR client
(`cds.record.fhir_client.FhirClient`, paging included), the two timed in alternation:
a ratio near 1 means the searches overlap and the service adds little around them.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.generate import hook_request, transaction_bundle
from bench.servers import benchmark_service, sekmet_server
from bench.stats import Summary, timed
from cds.fhir_loader import post_transaction
from cds.record.fhir_client import FetchLimits, FhirClient
from cds.record.templates import PrefetchTemplate

SERVICE_PATH = "/cds-services/trial-eligibility"
# Limits for the timing runs only: generous, so a busy machine gives a slow answer, not a 412.
BENCH_LIMITS = FetchLimits(
    connect_timeout_seconds=10, read_timeout_seconds=60, deadline_seconds=120,
    max_resources_per_search=20000, max_pages_per_search=500,
)


@dataclass(frozen=True)
class FetchResult:
    """Wall time of the hook without prefetch, and of each search alone."""

    hook: Summary
    searches: dict[str, Summary]
    errors: int

    @property
    def slowest_key(self) -> str:
        """The prefetch key whose search takes longest alone."""
        return max(self.searches, key=lambda key: self.searches[key].p50)

    @property
    def ratio(self) -> float:
        """Hook wall time over the slowest single search (medians)."""
        return self.hook.p50 / self.searches[self.slowest_key].p50


def _search_call(base_url: str, token: str, template: PrefetchTemplate, patient_id: str) -> Callable[[], object]:
    query = template.fill({"patientId": patient_id})

    def call() -> object:
        client = FhirClient(base_url, token, BENCH_LIMITS, time.monotonic() + BENCH_LIMITS.deadline_seconds)
        try:
            if template.is_read:
                return client.read(query, template.resource_type)
            return client.search(query)
        finally:
            client.close()

    return call


def measure_fetch_mode(
    resources: list[dict], templates: tuple[PrefetchTemplate, ...], workdir: Path, repeat: int, as_of: str
) -> FetchResult:
    """Load one patient into sekmet, then time the hook without prefetch and each search alone."""
    token = secrets.token_urlsafe(24)
    patient_id = resources[0]["id"]
    with sekmet_server(workdir / "sekmet", token) as fhir:
        base_url = fhir.base_url
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        post_transaction(session, base_url, transaction_bundle(resources))
        env = {
            "TRIALCDS_FHIR_SERVERS": base_url, "TRIALCDS_AS_OF": as_of,
            "TRIALCDS_FHIR_DEADLINE_SECONDS": "60", "TRIALCDS_FHIR_READ_TIMEOUT_SECONDS": "30",
        }
        with benchmark_service(workdir, workers=1, env=env) as service:
            url = service.base_url + SERVICE_PATH
            errors = 0

            def hook() -> None:
                nonlocal errors
                body = hook_request(patient_id, None, base_url, token)
                if requests.post(url, json=body, timeout=120).status_code != 200:
                    errors += 1

            calls = {"hook": hook} | {t.key: _search_call(base_url, token, t, patient_id) for t in templates}
            times = _interleaved(calls, repeat)
    return FetchResult(Summary.of(times.pop("hook")), {key: Summary.of(t) for key, t in times.items()}, errors)


def _interleaved(calls: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Time every call once per round, `repeat` rounds, after one unmeasured round.

    Round by round rather than call by call: the ratio compares the hook with a search,
    and on a shared machine the speed drifts over a run; calls timed side by side see
    the same machine.
    """
    for call in calls.values():
        call()
    times: dict[str, list[float]] = {key: [] for key in calls}
    for _ in range(repeat):
        for key, call in calls.items():
            times[key].extend(timed(call, 1, warmup=0))
    return times
