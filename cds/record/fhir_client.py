"""Calls to the EHR's FHIR server: reads and searches with paging, under one deadline.

CDS Hooks 2.0 §FHIR Resource Access: the service may call `fhirServer` with the
client's bearer token. The token is used only here, only for the allow-listed base
URL, never logged, and dropped with the session at the end of the hook call.
Every transport fault becomes a `FhirFetchError` with a short reason, in one place.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import orjson
import requests

from cds.config import normalize_base_url

Resource = dict[str, Any]


class FhirFetchError(Exception):
    """A FHIR call did not give usable data; the message says why, without patient data."""


class _BudgetSpent(Exception):
    """The hook call's deadline passed before or during a request (not the server's fault).

    Raised inside the client only: the read or search that was running turns it into a
    `FhirFetchError` that says how far it got.
    """


@dataclass(frozen=True)
class FetchLimits:
    """Timeouts and caps for the callbacks of one hook call."""

    connect_timeout_seconds: float
    read_timeout_seconds: float
    deadline_seconds: float
    max_resources_per_search: int
    max_pages_per_search: int


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _status_reason(status: int) -> str:
    """Why an answer with this (non-200) status gives no data: the server refused, failed, or redirected."""
    try:
        label = f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        label = str(status)
    if 400 <= status < 500:
        return f"the FHIR server refused the request ({label})"
    if status >= 500:
        return f"the FHIR server failed ({label})"
    return f"the FHIR server answered with an unexpected status ({label}); redirects are not followed"


def _expected_pages(first_page: Resource, matches: int) -> int | None:
    """How many pages a search will take, from the first page's `total` and size (None if unknown)."""
    total = first_page.get("total")
    if not isinstance(total, int) or isinstance(total, bool) or matches <= 0:
        return None
    return max(1, math.ceil(total / matches))


def _has_dot_segment(path: str) -> bool:
    return any(unquote(segment) in {".", ".."} for segment in path.split("/"))


def same_base(url: str, base_url: str) -> bool:
    """True if `url` lies under `base_url` (same scheme, host, port and path prefix).

    A path with `.` or `..` segments is never under the base: the HTTP client resolves
    them before sending, so `<base>/../admin` would take the token outside the base.
    """
    target, base = urlsplit(url), urlsplit(normalize_base_url(base_url))
    return (
        target.scheme == base.scheme
        and target.netloc.lower() == base.netloc.lower()
        and (target.path == base.path or target.path.startswith(base.path + "/"))
        and not _has_dot_segment(target.path)
    )


class MalformedBundleError(ValueError):
    """A Bundle whose content cannot be read as search results; the message says what is wrong."""


@dataclass(frozen=True)
class SearchPage:
    """What one search Bundle holds: its resources (OperationOutcomes left out), and why the
    search failed when an OperationOutcome among them says so."""

    resources: list[Resource]
    failure: str | None = None


def read_search_page(bundle: Resource) -> SearchPage:
    """The resources of a search Bundle's entries, and whether the search reported failing.

    An `entry` or `link` that is not a list, or an entry without a FHIR resource, cannot be
    read, and reading it as empty would hide data (a missing exclusion must never pass).
    An OperationOutcome entry (with or without `search.mode` outcome) is never patient data;
    one with an issue of severity error or fatal says the results are incomplete (CDS Hooks
    2.0: check prefetched data for OperationOutcomes and treat it as unavailable).

    :raise MalformedBundleError: the Bundle's content cannot be read.
    """
    entries = bundle.get("entry", [])
    if not isinstance(entries, list) or not isinstance(bundle.get("link", []), list):
        raise MalformedBundleError("an entry or link that is not a list")
    # A list comprehension, not a generator: it runs over every entry of every page.
    resources = [
        resource
        for entry in entries
        if isinstance(entry, dict)
        and isinstance(resource := entry.get("resource"), dict)
        and isinstance(resource.get("resourceType"), str)
    ]
    if len(resources) != len(entries):
        raise MalformedBundleError("an entry that holds no FHIR resource")
    outcomes = [r for r in resources if r["resourceType"] == "OperationOutcome"]
    if not outcomes:
        return SearchPage(resources)
    kept = [r for r in resources if r["resourceType"] != "OperationOutcome"]
    return SearchPage(kept, _search_failure(outcomes))


_FAILED = ("fatal", "error")


def _search_failure(outcomes: list[Resource]) -> str | None:
    """Why the search failed, by its OperationOutcomes' most severe issue (its severity
    only: diagnostics are free text and may name the patient); None for warnings."""
    severities = {
        issue.get("severity")
        for outcome in outcomes
        for issue in (outcome.get("issue") if isinstance(outcome.get("issue"), list) else [])
        if isinstance(issue, dict)
    }
    worst = next((severity for severity in _FAILED if severity in severities), None)
    return None if worst is None else f"the search's results hold an OperationOutcome of severity {worst}"


def next_link(bundle: Resource) -> str | None:
    """The Bundle's `next` link URL, if any."""
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return link["url"]
    return None


class FhirClient:
    """A FHIR client bound to one allow-listed base URL, one token and one deadline.

    Usable outside a hook call too (a SMART app's own reads): give it the app's base URL,
    token and a `time.monotonic()` deadline.
    """

    def __init__(self, base_url: str, access_token: str | None, limits: FetchLimits, deadline: float) -> None:
        """Bind the client; `deadline` is a `time.monotonic()` instant shared by the
        hook call's clients (one per thread, as a requests.Session is not thread-safe)."""
        self.base_url = normalize_base_url(base_url)
        self.limits = limits
        self._deadline = deadline
        self._session = requests.Session()
        # No proxies or .netrc from the environment: the token goes to fhirServer only.
        self._session.trust_env = False
        self._session.headers["Accept"] = "application/fhir+json"
        if access_token is not None:
            self._session.headers["Authorization"] = f"Bearer {access_token}"

    def close(self) -> None:
        """Drop the session and with it the token."""
        self._session.close()

    def url_for(self, relative: str) -> str:
        """The absolute URL of a template query relative to the base."""
        return urljoin(self.base_url + "/", relative)

    def _budget_spent(self, progress: str) -> FhirFetchError:
        return FhirFetchError(
            f"the service's budget of {_seconds(self.limits.deadline_seconds)} for this call ran out {progress}"
        )

    def _get(self, url: str) -> Resource:
        """GET one URL under the base and parse the answer as a FHIR resource.

        :raise _BudgetSpent: the call's deadline passed, or cut a request short.
        :raise FhirFetchError: the server did not answer within its timeout, refused,
            failed, or sent something that is not a FHIR resource.
        """
        if not same_base(url, self.base_url):
            raise FhirFetchError("a link points outside the allowed FHIR server; not followed")
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise _BudgetSpent
        connect = min(self.limits.connect_timeout_seconds, remaining)
        read = min(self.limits.read_timeout_seconds, remaining)
        try:
            response = self._session.get(url, timeout=(connect, read), allow_redirects=False)
        except requests.ConnectTimeout as exc:
            if connect < self.limits.connect_timeout_seconds:
                raise _BudgetSpent from exc
            raise FhirFetchError(
                f"the FHIR server did not accept a connection within {_seconds(self.limits.connect_timeout_seconds)}"
            ) from exc
        except requests.Timeout as exc:
            if read < self.limits.read_timeout_seconds:
                raise _BudgetSpent from exc
            raise FhirFetchError(
                f"the FHIR server did not answer within {_seconds(self.limits.read_timeout_seconds)}"
            ) from exc
        except requests.ConnectionError as exc:
            raise FhirFetchError("the FHIR server could not be reached") from exc
        except requests.RequestException as exc:
            raise FhirFetchError(f"the FHIR request failed ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise FhirFetchError(_status_reason(response.status_code))
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise FhirFetchError("the FHIR server's answer is not valid JSON") from exc
        if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
            raise FhirFetchError("the FHIR server's answer is not a FHIR resource")
        if body["resourceType"] == "OperationOutcome":
            raise FhirFetchError("the FHIR server answered with an OperationOutcome")
        return body

    def read(self, relative: str, resource_type: str) -> Resource:
        """Read one resource (`Type/id`).

        :raise FhirFetchError: transport fault, bad status, the budget spent, or not a `resource_type`.
        """
        try:
            resource = self._get(self.url_for(relative))
        except _BudgetSpent:
            raise self._budget_spent(f"before the {resource_type} read was answered") from None
        if resource["resourceType"] != resource_type:
            raise FhirFetchError(f"the FHIR server returned a {resource['resourceType']}, not a {resource_type}")
        return resource

    def search(self, relative: str) -> list[Resource]:
        """Run a search and return every page's resources.

        :raise FhirFetchError: as `search_pages`.
        """
        return [resource for page in self.search_pages(relative) for resource in page]

    def search_pages(self, relative: str) -> Iterator[list[Resource]]:
        """Run a search and yield each page's resources as it arrives, following `next` links.

        :raise FhirFetchError: a page fails, the budget runs out, a `next` link leaves
            the base URL or loops, or the search passes its resource or page cap.
        """
        return self._pages(None, self.url_for(relative))

    def pages_after(self, first_page: Resource) -> Iterator[list[Resource]]:
        """Yield the resources of every page after a search Bundle the client already has
        (a prefetched first page), via `next` links.

        :raise FhirFetchError: as `search_pages`, the first page's resources counted.
        """
        pages = self._pages(first_page, next_link(first_page))
        next(pages)  # the first page's resources: the caller has them already
        return pages

    def _pages(self, first_page: Resource | None, url: str | None) -> Iterator[list[Resource]]:
        """Walk a search from `first_page` (already read) or from `url`, one page at a time.

        Only one page's Bundle is alive at a time: each is dropped once its resources
        are handed on, so a long record never sits in memory twice.
        """
        cap = self.limits.max_resources_per_search
        seen: set[str] = set()
        pages_read = 0
        expected: int | None = None
        count = 0
        page = first_page
        while True:
            if page is None:
                assert url is not None
                if url in seen:
                    raise FhirFetchError("the search's next links loop; results are incomplete")
                seen.add(url)
                if pages_read >= self.limits.max_pages_per_search:
                    raise FhirFetchError(f"the search has more than {self.limits.max_pages_per_search} pages")
                try:
                    page = self._searchset(self._get(url))
                except _BudgetSpent:
                    read = f"{pages_read} page" if pages_read == 1 else f"{pages_read} pages"
                    of = f" of {expected}" if expected is not None else "; more remained"
                    raise self._budget_spent(f"after {read}{of}") from None
            pages_read += 1
            content = self._content(page)
            resources = content.resources
            if expected is None:
                expected = _expected_pages(page, _matches(page))
            count += len(resources)
            if count > cap:
                raise FhirFetchError(f"the search has more than {cap} results")
            url = next_link(page)
            page = None
            yield resources
            if url is None:
                return

    @staticmethod
    def _searchset(resource: Resource) -> Resource:
        if resource.get("resourceType") != "Bundle" or resource.get("type") != "searchset":
            raise FhirFetchError("the FHIR server's answer to a search is not a searchset Bundle")
        return resource

    @staticmethod
    def _content(page: Resource) -> SearchPage:
        """A page's resources; a page that cannot be read, or that reports the search failed,
        makes the search fail."""
        try:
            content = read_search_page(page)
        except MalformedBundleError as exc:
            raise FhirFetchError(f"the FHIR server's Bundle has {exc}") from exc
        if content.failure is not None:
            raise FhirFetchError(content.failure)
        return content


def _matches(bundle: Resource) -> int:
    """How many entries of a search page are matches (`_include`d resources are not counted in `total`)."""
    return sum(
        1
        for entry in bundle.get("entry") or []
        if isinstance(entry, dict)
        and not (isinstance(search := entry.get("search"), dict) and search.get("mode") in ("include", "outcome"))
    )
