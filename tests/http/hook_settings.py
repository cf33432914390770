"""Values and builders the HTTP tests share: the EHR's FHIR server, its token, its Bundles."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from cds.config import DEFAULTS
from cds.record.templates import templates_for
from cds.trials.loader import load_trials
from cds.trials.schema import Trial
from trial_files import shipped_trial

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
# The page size the service's searches ask for by default (`_count`).
SEARCH_COUNT = DEFAULTS["FHIR_SEARCH_COUNT"]


def search_url(query: str) -> str:
    """The URL of one of the service's searches other than the Observation one (`Type?patient=…`), with its `_count`."""
    return f"{FHIR_BASE}/{query}&_count={SEARCH_COUNT}"


def observations_url(patient_id: str = "demo-eligible", trials: Iterable[Trial] | None = None) -> str:
    """The Observation search the service makes: the published template, filled, on FHIR_BASE
    (for the shipped trials, or for the `trials` the service runs)."""
    trials = load_trials().values() if trials is None else list(trials)
    codes = frozenset().union(*(trial.observation_codes for trial in trials))
    (template,) = [t for t in templates_for({"Observation"}, codes, SEARCH_COUNT) if t.key == OBSERVATIONS_KEY]
    return f"{FHIR_BASE}/{template.fill({'patientId': patient_id})}"


# The demo patients are written for NCT05247203: services that run it alone (the
# `demo_trial_client` and its kin) make this trial's Observation search.
DEMO_TRIAL_LABS_URL = observations_url(trials=[shipped_trial()])


def missing_data(response: Any) -> dict[str, dict[str, str]]:
    """A partial answer's missing data, by prefetch key, as every card's evaluation and the answer agree on.

    Every trial's evaluation is in its card, so the answer must have cards; `{}` when nothing is missing.
    """
    assert response.status_code == 200, response.get_data(as_text=True)
    cards = response.json["cards"]
    assert cards, "no card: the missing data cannot be read from the answer"
    per_card = [card["extension"]["trialcds.evaluation"].get("missing_data", []) for card in cards]
    assert all(gaps == per_card[0] for gaps in per_card)
    return {gap["key"]: gap for gap in per_card[0]}
