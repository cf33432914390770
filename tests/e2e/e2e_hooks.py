"""Hook requests as a CDS client sends them, and the parts of an answer two answers must share.

The prefetch is built the way the CDS Hooks sandbox builds it: each discovery template is filled
from the context, sent to the FHIR server, and whatever the server answers (a resource, or the
first page of a search with its `next` link) becomes the key's value.
"""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import dataclass
from typing import Any

import requests

SERVICE_PATH = "/cds-services/trial-eligibility"
HOOK = "patient-view"
# A clinician, not a patient, opens the chart: the service answers patient-facing views with no cards.
CLINICIAN_USER = "Practitioner/e2e-clinician"
TOKEN = re.compile(r"\{\{\s*context\.(\w+)\s*\}\}")
HTTP_TIMEOUT_SECONDS = 60

Json = dict[str, Any]


@dataclass(frozen=True)
class FhirEndpoint:
    """A FHIR server as a CDS client knows it: its base URL and the bearer token it hands out."""

    base_url: str
    access_token: str

    def get(self, relative: str) -> requests.Response:
        """GET a URL relative to the base with the bearer token, as the sandbox does for prefetch."""
        return requests.get(
            f"{self.base_url}/{relative}",
            headers={"Authorization": f"Bearer {self.access_token}", "Accept": "application/fhir+json"},
            timeout=HTTP_TIMEOUT_SECONDS,
        )


def hook_context(patient_id: str) -> Json:
    """The patient-view context of a clinician opening this patient's chart."""
    return {"userId": CLINICIAN_USER, "patientId": patient_id}


def fill_template(template: str, context: Json) -> str:
    """Substitute `{{context.x}}` tokens (CDS Hooks 2.0 §Prefetch tokens)."""
    return TOKEN.sub(lambda match: str(context[match.group(1)]), template)


def first_page_prefetch(templates: dict[str, str], context: Json, fhir: FhirEndpoint, page_size: int | None) -> Json:
    """Run each template against the server and keep what the first answer holds, `next` links included.

    `page_size` adds `_count` to searches, as a client whose server pages more finely would send them.
    A read that finds nothing is `null`, as §Prefetch Template requires.
    """
    prefetch: Json = {}
    for key, template in templates.items():
        query = fill_template(template, context)
        if page_size is not None and "?" in query:
            query = f"{query}&_count={page_size}"
        response = fhir.get(query)
        if response.status_code == 404 and "?" not in query:
            prefetch[key] = None
            continue
        response.raise_for_status()
        prefetch[key] = response.json()
    return prefetch


def hook_request(patient_id: str, fhir: FhirEndpoint, prefetch: Json | None = None) -> Json:
    """A patient-view call with fhirServer and fhirAuthorization, and the prefetch if one is given."""
    request: Json = {
        "hook": HOOK,
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": fhir.base_url,
        "fhirAuthorization": {
            "access_token": fhir.access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "trialcds-e2e",
            "patient": patient_id,
        },
        "context": hook_context(patient_id),
    }
    if prefetch is not None:
        request["prefetch"] = prefetch
    return request


def without_uuids(response_body: Json) -> list[Json]:
    """The cards with their per-call uuids removed, so two calls' cards can be compared whole."""
    cards = copy.deepcopy(response_body["cards"])
    for card in cards:
        card.pop("uuid", None)
        for suggestion in card.get("suggestions", []):
            suggestion.pop("uuid", None)
    return cards


def next_link(bundle: Json | None) -> str | None:
    """A search Bundle's `next` link, if it has one."""
    links = (bundle or {}).get("link", [])
    return next((link["url"] for link in links if link.get("relation") == "next"), None)


def complete_prefetch(first_pages: Json, fhir: FhirEndpoint) -> Json:
    """Follow every `next` link and send each search as one Bundle holding all its results."""
    complete: Json = {}
    for key, value in first_pages.items():
        if not value or value.get("resourceType") != "Bundle":
            complete[key] = value
            continue
        entries = list(value.get("entry", []))
        url = next_link(value)
        while url is not None:
            page = fhir.get(url.removeprefix(f"{fhir.base_url}/")).json()
            entries.extend(page.get("entry", []))
            url = next_link(page)
        complete[key] = {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries}
    return complete


def truncated_prefetch(first_pages: Json) -> Json:
    """The first pages with their `next` links dropped: a client that silently sends partial data."""
    truncated = copy.deepcopy(first_pages)
    for value in truncated.values():
        if value and value.get("resourceType") == "Bundle":
            value["link"] = [link for link in value.get("link", []) if link.get("relation") != "next"]
    return truncated
