"""Load FHIR transaction bundles into a FHIR server, keeping the resource ids written in the files.

Synthea-style bundles create every resource with `POST` and a `urn:uuid:` fullUrl, so a server would give
each resource a new id and a hook request naming the file's patient id would find nothing. The loader
rewrites each `POST` entry to `PUT {type}/{id}` (FHIR R4 §3.1.0.4.2, update as create) and turns every
`urn:uuid:` reference into the matching relative `Type/id`, so the same bundle loads identically into any
server and can be loaded twice without duplicating data.
"""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from tqdm import tqdm

FHIR_JSON = "application/fhir+json"
URN_UUID = "urn:uuid:"
# The issue asks for a progress bar "when more than a few bundles"; a handful of files loads quickly enough.
PROGRESS_BAR_ABOVE_BUNDLES = 3
# A Synthea patient bundle can hold thousands of resources; a server validating each may take a while.
TRANSACTION_TIMEOUT_SECONDS = 300
# How many OperationOutcome issues an error message quotes before summarising the rest.
QUOTED_ISSUES = 3
# How much of a non-OperationOutcome error body an error message quotes.
QUOTED_BODY_CHARACTERS = 300


class BundleLoadError(Exception):
    """A bundle could not be read, rewritten or accepted by the FHIR server."""


@dataclass(frozen=True)
class LoadedBundle:
    """One bundle the server accepted: where it came from and how many entries it applied."""

    path: Path
    entries: int


@dataclass(frozen=True)
class LoadReport:
    """The outcome of loading several bundles: the ones accepted and one message per failed file."""

    loaded: tuple[LoadedBundle, ...]
    failures: tuple[str, ...]


def read_bundle(path: Path) -> dict[str, Any]:
    """Read a Bundle from a `.json` or `.json.gz` file."""
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            bundle = json.load(handle)
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BundleLoadError(f"cannot read a JSON bundle ({error})") from error
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise BundleLoadError("not a FHIR Bundle")
    return bundle


def _entry_id(entry: dict[str, Any], index: int) -> str:
    """Return the id an entry's resource keeps: its own id, else the tail of its fullUrl."""
    resource = entry["resource"]
    if resource.get("id"):
        return str(resource["id"])
    full_url = str(entry.get("fullUrl") or "")
    tail = full_url[len(URN_UUID):] if full_url.startswith(URN_UUID) else full_url.rstrip("/").rsplit("/", 1)[-1]
    if not tail:
        raise BundleLoadError(f"entry {index} ({resource.get('resourceType')}) has neither an id nor a fullUrl")
    return tail


def _references(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every FHIR Reference (an object with a string `reference`) anywhere inside a resource."""
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def _local_target(entry: dict[str, Any]) -> str | None:
    """Return the `Type/id` an entry's resource is stored as, when its request names it."""
    segments = str((entry.get("request") or {}).get("url", "")).split("?")[0].strip("/").split("/")
    return "/".join(segments) if len(segments) == 2 and all(segments) else None


def as_put_transaction(bundle: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of a transaction bundle whose `POST` entries are `PUT {type}/{id}` with ids kept.

    `urn:uuid:` references are rewritten to `Type/id` here rather than left to the server, because FHIR
    R4 §3.1.0.11.2 only promises that resolution for entries the server creates, and after the rewrite
    none is a create (Inferno's bundles already `PUT` the Patient under a `urn:uuid:` fullUrl).
    """
    if bundle.get("type") != "transaction":
        raise BundleLoadError(f"Bundle.type is {bundle.get('type')!r}; only transaction bundles can be loaded")
    rewritten = copy.deepcopy(bundle)
    entries = rewritten.get("entry") or []
    local_ids: dict[str, str] = {}
    for index, entry in enumerate(entries):
        resource = entry.get("resource")
        method = str((entry.get("request") or {}).get("method", "")).upper()
        if method == "POST" and isinstance(resource, dict):
            resource_type = resource.get("resourceType")
            if not resource_type:
                raise BundleLoadError(f"entry {index} has a resource without resourceType")
            resource["id"] = _entry_id(entry, index)
            entry["request"] = {"method": "PUT", "url": f"{resource_type}/{resource['id']}"}
        target = _local_target(entry)
        if target and str(entry.get("fullUrl", "")).startswith(URN_UUID):
            local_ids[entry["fullUrl"]] = target
    for entry in entries:
        for reference in _references(entry.get("resource")):
            target = local_ids.get(reference["reference"])
            if target:
                reference["reference"] = target
    return rewritten


def _outcome_summary(response: requests.Response) -> str:
    """Summarise the OperationOutcome a server sent with an error, or the start of whatever it sent."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:QUOTED_BODY_CHARACTERS]
    issues = body.get("issue") if isinstance(body, dict) else None
    if not issues:
        return json.dumps(body)[:QUOTED_BODY_CHARACTERS]
    quoted = [
        f"{issue.get('severity', '?')}: {issue.get('diagnostics') or issue.get('code', '')}"
        for issue in issues[:QUOTED_ISSUES]
    ]
    more = len(issues) - QUOTED_ISSUES
    return "; ".join(quoted) + (f"; and {more} more issue(s)" if more > 0 else "")


def post_transaction(session: requests.Session, base_url: str, bundle: dict[str, Any]) -> int:
    """POST a transaction bundle to a FHIR base URL; return how many entries the server answered."""
    try:
        response = session.post(
            base_url.rstrip("/"),
            data=json.dumps(bundle),
            headers={"Content-Type": FHIR_JSON, "Accept": FHIR_JSON},
            timeout=TRANSACTION_TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        raise BundleLoadError(f"cannot reach the FHIR server at {base_url} ({error.__class__.__name__})") from error
    if not response.ok:
        raise BundleLoadError(f"the FHIR server answered HTTP {response.status_code}: {_outcome_summary(response)}")
    try:
        answer = response.json()
    except ValueError as error:
        raise BundleLoadError("the FHIR server accepted the bundle but its answer is not JSON") from error
    if not isinstance(answer, dict) or answer.get("resourceType") != "Bundle":
        raise BundleLoadError("the FHIR server accepted the bundle but did not answer with a Bundle")
    return len(answer.get("entry") or [])


def load_bundles(base_url: str, paths: Sequence[Path], session: requests.Session | None = None) -> LoadReport:
    """Load each bundle file as a PUT transaction; a failed file is reported and the rest still load."""
    session = session or requests.Session()
    loaded: list[LoadedBundle] = []
    failures: list[str] = []
    progress: Iterable[Path] = paths
    if len(paths) > PROGRESS_BAR_ABOVE_BUNDLES:
        progress = tqdm(paths, desc="bundles", unit="bundle")
    for path in progress:
        try:
            entries = post_transaction(session, base_url, as_put_transaction(read_bundle(path)))
        except BundleLoadError as error:
            failures.append(f"{path.name}: {error}")
            continue
        loaded.append(LoadedBundle(path=path, entries=entries))
    return LoadReport(loaded=tuple(loaded), failures=tuple(failures))
