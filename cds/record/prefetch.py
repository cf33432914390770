"""Hook request data -> the patient's resources: use prefetch, fetch what is absent.

CDS Hooks 2.0 §Prefetch Template, key by key:
- present: used; a Bundle's `next` pages are fetched (a client MAY paginate prefetch);
- `null`: the client has no such data; not fetched;
- an OperationOutcome: the client could not get it; counted as missing, not re-queried;
- absent: fetched from `fhirServer` with the client's bearer token.
A key that cannot be had is missing, with its reason (`GatheredData.missing`); the
evaluation then runs on the rest, every criterion that needs a missing type unknown.
Only the Patient is required: without it there is no one to evaluate, and the call is
a 412 (`PrefetchUnavailableError`) listing every missing key with its reason
(docs/design.md, "Service choices").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from cds.config import DEFAULTS, normalize_base_url
from cds.errors import InvalidHookRequestError, PrefetchUnavailableError
from cds.record.fhir_client import (
    FetchLimits,
    FhirClient,
    FhirFetchError,
    SearchPage,
    next_link,
)
from cds.record.templates import PrefetchTemplate
from fhir_mappings.record import MissingData

Resource = dict[str, Any]
Job = Callable[[FhirClient], list[Resource]]
# Resource types without which no evaluation can be made: a template reading one is required.
REQUIRED_TYPES = frozenset({"Patient"})
NOT_FETCHED_WITHOUT_PATIENT = "not fetched: without the Patient the call cannot be answered"


@dataclass(frozen=True)
class FhirAccess:
    """Where and how the hook request lets the service read FHIR data (transient)."""

    fhir_server: str | None
    access_token: str | None


@dataclass(frozen=True)
class CallbackPolicy:
    """The deployment's rules for FHIR callbacks (and the page size and Observation code
    parameter their searches ask with)."""

    allowed_servers: tuple[str, ...]
    allow_no_token: bool
    max_parallel: int
    limits: FetchLimits
    search_count: int | None = None
    observation_code_parameter: str | None = DEFAULTS["FHIR_OBSERVATION_CODE_PARAMETER"]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CallbackPolicy:
        """The policy a checked app config (cds.config) sets."""
        return cls(
            allowed_servers=tuple(config["FHIR_SERVERS"]),
            allow_no_token=config["FHIR_ALLOW_NO_TOKEN"],
            max_parallel=config["FHIR_MAX_PARALLEL"],
            limits=FetchLimits(
                connect_timeout_seconds=config["FHIR_CONNECT_TIMEOUT_SECONDS"],
                read_timeout_seconds=config["FHIR_READ_TIMEOUT_SECONDS"],
                deadline_seconds=config["FHIR_DEADLINE_SECONDS"],
                max_resources_per_search=config["FHIR_SEARCH_MAX_RESOURCES"],
                max_pages_per_search=config["FHIR_SEARCH_MAX_PAGES"],
            ),
            search_count=config["FHIR_SEARCH_COUNT"],
            observation_code_parameter=config["FHIR_OBSERVATION_CODE_PARAMETER"],
        )


@dataclass(frozen=True)
class GatheredData:
    """The resources for one hook call, how many FHIR searches or reads it took, and
    what could not be had (one entry per prefetch key, with the reason)."""

    resources: tuple[Resource, ...]
    callbacks: int
    missing: tuple[MissingData, ...] = ()


def _describe(template: PrefetchTemplate) -> str:
    # The key and the resource type name the data without the patient's id (and
    # without the Observation code list, which is long).
    return f"prefetch '{template.key}' ({template.resource_type} {'read' if template.is_read else 'search'})"


def _prefetched(
    template: PrefetchTemplate, value: Resource, bundled: Mapping[str, SearchPage]
) -> tuple[list[Resource], Job | None]:
    """The resources a present prefetch value holds, and a job for its further pages."""
    if value["resourceType"] == "Bundle":
        job = (lambda client: [r for page in client.pages_after(value) for r in page]) if next_link(value) else None
        return bundled[template.key].resources, job
    if template.is_read and value["resourceType"] == template.resource_type:
        return [value], None
    expected = template.resource_type if template.is_read else "Bundle"
    raise InvalidHookRequestError(
        f"prefetch '{template.key}' holds a {value['resourceType']}; expected a {expected}, an OperationOutcome or null"
    )


def _fetch_job(template: PrefetchTemplate, context: Mapping[str, object]) -> Job:
    try:
        query = template.fill(context)
    except KeyError as exc:
        raise InvalidHookRequestError(f"context has no primitive field for the prefetch token {exc.args[0]}") from exc
    if template.is_read:
        return lambda client: [client.read(query, template.resource_type)]
    return lambda client: client.search(query)


def _callback_server(access: FhirAccess, policy: CallbackPolicy) -> tuple[str | None, str]:
    """The FHIR base URL callbacks may go to, or None and why none may be made."""
    if access.fhir_server is None:
        return None, "the request has no fhirServer to fetch it from"
    server = normalize_base_url(access.fhir_server)
    if server not in policy.allowed_servers:
        return None, "the request's fhirServer is not on this service's allow-list (TRIALCDS_FHIR_SERVERS)"
    if access.access_token is None and not policy.allow_no_token:
        return None, "the request has no fhirAuthorization to fetch it with"
    return server, ""


def _run(
    jobs: Mapping[PrefetchTemplate, Job], fhir_server: str, access_token: str | None, policy: CallbackPolicy
) -> tuple[list[Resource], dict[PrefetchTemplate, str]]:
    """Run the callbacks concurrently; return their resources and why each failed one failed."""
    deadline = time.monotonic() + policy.limits.deadline_seconds

    def run_one(job: Job) -> list[Resource]:
        client = FhirClient(fhir_server, access_token, policy.limits, deadline)
        try:
            return job(client)
        finally:
            client.close()

    resources: list[Resource] = []
    failures: dict[PrefetchTemplate, str] = {}
    with ThreadPoolExecutor(max_workers=min(policy.max_parallel, len(jobs))) as pool:
        futures = {template: pool.submit(run_one, job) for template, job in jobs.items()}
        for template, future in futures.items():
            try:
                resources.extend(future.result())
            except FhirFetchError as exc:
                failures[template] = str(exc)
    return resources, failures


def _is_required(template: PrefetchTemplate) -> bool:
    return template.resource_type in REQUIRED_TYPES


def gather(
    templates: Iterable[PrefetchTemplate],
    context: Mapping[str, object],
    prefetch: Mapping[str, Resource | None],
    bundled: Mapping[str, SearchPage],
    access: FhirAccess,
    policy: CallbackPolicy,
) -> GatheredData:
    """Collect every resource the templates ask for, from prefetch or the FHIR server.

    `bundled` holds what each prefetched Bundle holds, by key (`HookRequest.bundled`).
    A key that cannot be had is left out of the resources and named in `missing`, with why.

    :raise InvalidHookRequestError: a prefetch value does not fit its template.
    :raise PrefetchUnavailableError: the Patient cannot be had; lists every missing key.
    """
    templates = tuple(templates)
    resources: list[Resource] = []
    problems: dict[PrefetchTemplate, str] = {}
    jobs: dict[PrefetchTemplate, Job] = {}
    for template in templates:
        if template.key not in prefetch:
            jobs[template] = _fetch_job(template, context)
            continue
        value = prefetch[template.key]
        if value is None:
            continue
        if value["resourceType"] == "OperationOutcome":
            problems[template] = "the client could not prefetch it (OperationOutcome)"
            continue
        failure = bundled[template.key].failure if value["resourceType"] == "Bundle" else None
        if failure is not None:
            problems[template] = f"the client's prefetch is incomplete: {failure}"
            continue
        present, more_pages = _prefetched(template, value, bundled)
        resources.extend(present)
        if more_pages is not None:
            jobs[template] = more_pages
    if jobs:
        server, reason = _callback_server(access, policy)
        if server is None:
            problems.update((template, reason) for template in jobs)
        elif any(_is_required(template) for template in problems):  # a 412 is certain: spare the EHR the calls
            problems.update((template, NOT_FETCHED_WITHOUT_PATIENT) for template in jobs)
        else:
            fetched, failures = _run(jobs, server, access.access_token, policy)
            resources.extend(fetched)
            problems.update(failures)
    failed = [template for template in templates if template in problems]
    missing = tuple(MissingData(t.key, t.resource_type, problems[t]) for t in failed)
    if any(_is_required(template) for template in failed):
        raise PrefetchUnavailableError(
            "data the evaluation needs cannot be had",
            [f"{_describe(template)}: {problems[template]}" for template in failed],
            missing=missing,
        )
    return GatheredData(tuple(resources), len(jobs), missing)
