"""Calls to the EHR's FHIR server: reads and searches with paging, under one deadline.

CDS Hooks 2.0 §FHIR Resource Access: the service may call `fhirServer` with the
client's bearer token. The token is used only here, only for the allow-listed base
URL, never logged, and dropped with the session at the end of the hook call.
Every transport fault becomes a `FhirFetchError` with a short reason, in one place.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import orjson
import requests

from cds.config import normalize_base_url

Resource = dict[str, Any]

_STATUS_REASONS = {
    401: "the FHIR server refused the access token (401)",
    403: "the FHIR server denied access (403)",
    404: "the FHIR server has no such resource (404)",
    429: "the FHIR server is rate-limiting requests (429)",
}


class FhirFetchError(Exception):
    """A FHIR call did not give usable data; the message says why, without patient data."""


@dataclass(frozen=True)
class FetchLimits:
    """Timeouts and caps for the callbacks of one hook call."""

    connect_timeout_seconds: float
    read_timeout_seconds: float
    deadline_seconds: float
    max_resources_per_search: int
    max_pages_per_search: int


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


def is_malformed_bundle(resource: Resource) -> bool:
    """True for a Bundle whose `entry` or `link` is not a list: its content cannot be read,
    and reading it as empty would hide data (a missing exclusion must never pass)."""
    return resource.get("resourceType") == "Bundle" and not all(
        isinstance(resource.get(name, []), list) for name in ("entry", "link")
    )


def next_link(bundle: Resource) -> str | None:
    """The Bundle's `next` link URL, if any."""
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return link["url"]
    return None


def bundle_resources(bundle: Resource) -> list[Resource]:
    """The resources of a search Bundle's entries, without search-outcome entries."""
    # A list comprehension, not a generator: it runs over every entry of every prefetch
    # Bundle, and a generator's per-item resumption costs more.
    return [
        resource
        for entry in bundle.get("entry") or []
        if isinstance(entry, dict)
        and isinstance(resource := entry.get("resource"), dict)
        and not (isinstance(search := entry.get("search"), dict) and search.get("mode") == "outcome")
    ]


class FhirClient:
    """A FHIR client bound to one allow-listed base URL, one token and one deadline."""

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

    def _get(self, url: str) -> Resource:
        if not same_base(url, self.base_url):
            raise FhirFetchError("a link points outside the allowed FHIR server; not followed")
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise FhirFetchError("the FHIR server did not answer in time (deadline passed)")
        timeout = (
            min(self.limits.connect_timeout_seconds, remaining),
            min(self.limits.read_timeout_seconds, remaining),
        )
        try:
            response = self._session.get(url, timeout=timeout, allow_redirects=False)
        except requests.Timeout as exc:
            raise FhirFetchError("the FHIR server did not answer in time (timeout)") from exc
        except requests.ConnectionError as exc:
            raise FhirFetchError("the FHIR server could not be reached") from exc
        except requests.RequestException as exc:
            raise FhirFetchError(f"the FHIR request failed ({type(exc).__name__})") from exc
        status = response.status_code
        if status != 200:
            if status in _STATUS_REASONS:
                raise FhirFetchError(_STATUS_REASONS[status])
            if status >= 500:
                raise FhirFetchError(f"the FHIR server failed ({status})")
            raise FhirFetchError(f"the FHIR server answered with an unexpected status ({status})")
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

        :raise FhirFetchError: transport fault, bad status, or not a `resource_type`.
        """
        resource = self._get(self.url_for(relative))
        if resource["resourceType"] != resource_type:
            raise FhirFetchError(f"the FHIR server returned a {resource['resourceType']}, not a {resource_type}")
        return resource

    def search(self, relative: str) -> list[Resource]:
        """Run a search and return every page's resources.

        :raise FhirFetchError: as `pages_after`, the first page included.
        """
        first_page = self._searchset(self._get(self.url_for(relative)))
        return bundle_resources(first_page) + self.pages_after(first_page)

    def pages_after(self, first_page: Resource) -> list[Resource]:
        """Return the resources of every page after a search Bundle, via `next` links.

        :raise FhirFetchError: a page fails, a `next` link leaves the base URL or
            loops, or the search passes its resource or page cap.
        """
        cap = self.limits.max_resources_per_search
        count = len(bundle_resources(first_page))
        if count > cap:
            raise FhirFetchError(f"the search has more than {cap} results")
        resources: list[Resource] = []
        seen: set[str] = set()
        pages = 1
        url = next_link(first_page)
        while url is not None:
            if url in seen:
                raise FhirFetchError("the search's next links loop; results are incomplete")
            seen.add(url)
            pages += 1
            if pages > self.limits.max_pages_per_search:
                raise FhirFetchError(f"the search has more than {self.limits.max_pages_per_search} pages")
            page = self._searchset(self._get(url))
            resources.extend(bundle_resources(page))
            if count + len(resources) > cap:
                raise FhirFetchError(f"the search has more than {cap} results")
            url = next_link(page)
        return resources

    @staticmethod
    def _searchset(resource: Resource) -> Resource:
        if resource.get("resourceType") != "Bundle" or resource.get("type") != "searchset":
            raise FhirFetchError("the FHIR server's answer to a search is not a searchset Bundle")
        if is_malformed_bundle(resource):
            raise FhirFetchError("the FHIR server's Bundle has an entry or link that is not a list")
        return resource
