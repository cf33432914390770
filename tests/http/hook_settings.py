"""Values and builders the HTTP tests share: the EHR's FHIR server, its token, its Bundles."""

from __future__ import annotations

import datetime
from typing import Any

AS_OF = datetime.date(2026, 6, 15)
FHIR_BASE = "https://ehr.example.org/fhir"
ACCESS_TOKEN = "ehr-access-token-5f3c9a"
SERVICE_URL = "/cds-services/trial-eligibility"
BEARER = {"Authorization": f"Bearer {ACCESS_TOKEN}"}


def searchset(resources: list[dict[str, Any]], next_url: str | None = None) -> dict[str, Any]:
    """A FHIR R4 search result page, as a server sends it."""
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {
                "fullUrl": f"{FHIR_BASE}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }
    if next_url is not None:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


def resources_of(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """The resources in a Bundle's entries."""
    return [entry["resource"] for entry in bundle.get("entry", [])]
