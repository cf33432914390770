"""Values and builders the HTTP tests share: the EHR's FHIR server, its token, its Bundles."""

from __future__ import annotations

import datetime
from typing import Any

from cds.record.templates import templates_for
from cds.trials.loader import load_trials

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


OBSERVATIONS_KEY = "observations"


def observations_url(patient_id: str = "demo-eligible") -> str:
    """The Observation search the service makes: the published template, filled, on FHIR_BASE."""
    trials = load_trials().values()
    codes = frozenset().union(*(trial.observation_codes for trial in trials))
    (template,) = [t for t in templates_for({"Observation"}, codes) if t.key == OBSERVATIONS_KEY]
    return f"{FHIR_BASE}/{template.fill({'patientId': patient_id})}"
