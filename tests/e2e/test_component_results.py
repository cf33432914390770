"""A result the criteria read that is a component of a panel reaches the engine through the
published Observation search, on a real FHIR server.

Synthea writes its HIV screen as panel 75622-1 "HIV 1 and 2 tests - Meaningful Use set" whose
one component is 7917-8 "HIV 1 Ab [Presence] in Serum" (module hiv/hiv_screening.json;
terminology.md §1): the panel code is no HIV test, the component is, and the ground rules count
a component as a result of its analyte (criteria-nct05247203.md, "Lab results"). A search by
`code` matches only Observation.code, so it would never send that result; the published search
asks by `combo-code` (Observation.code | Observation.component.code).
"""

from __future__ import annotations

import pytest
from e2e_hooks import fill_template, hook_context, hook_request
from e2e_servers import FhirServer, Service

from cds.fhir_loader import post_transaction

pytestmark = pytest.mark.e2e

LABORATORY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}
SNOMED_RESULT = {"positive": ("10828004", "Positive"), "negative": ("260385009", "Negative")}
BLISS_76 = "nct00410384"


def lupus_patient_with_hiv_screen(patient_id: str, hiv: str) -> list[dict]:
    """A woman with SLE and a positive ANA titre whose HIV screen is Synthea's panel, `hiv` its result."""
    subject = {"reference": f"Patient/{patient_id}"}
    code, display = SNOMED_RESULT[hiv]
    return [
        {"resourceType": "Patient", "id": patient_id, "gender": "female", "birthDate": "1990-04-12",
         "name": [{"family": "Panel", "given": ["Screen"]}]},
        {"resourceType": "Condition", "id": f"{patient_id}-sle", "subject": subject,
         "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                        "code": "active"}]},
         "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                            "code": "confirmed"}]},
         "code": {"coding": [{"system": "http://snomed.info/sct", "code": "55464009",
                              "display": "Systemic lupus erythematosus"}]},
         "onsetDateTime": "2024-03-01"},
        {"resourceType": "Observation", "id": f"{patient_id}-ana", "status": "final", "category": [LABORATORY],
         "subject": subject, "effectiveDateTime": "2026-04-01",
         "code": {"coding": [{"system": "http://loinc.org", "code": "5048-4",
                              "display": "Nuclear Ab [Titer] in Serum by Immunofluorescence"}]},
         "valueRatio": {"numerator": {"value": 1}, "denominator": {"value": 320}}},
        {"resourceType": "Observation", "id": f"{patient_id}-hiv", "status": "final", "category": [LABORATORY],
         "subject": subject, "effectiveDateTime": "2026-03-10",
         "code": {"coding": [{"system": "http://loinc.org", "code": "75622-1",
                              "display": "HIV 1 and 2 tests - Meaningful Use set"}]},
         "component": [{
             "code": {"coding": [{"system": "http://loinc.org", "code": "7917-8",
                                  "display": "HIV 1 Ab [Presence] in Serum"}]},
             "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": code, "display": display}]},
         }]},
    ]


def load(fhir_server: FhirServer, resources: list[dict]) -> None:
    transaction = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
                  for r in resources],
    }
    post_transaction(fhir_server.session(), fhir_server.endpoint.base_url, transaction)


def carded_trials(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {card["extension"]["trialcds.evaluation"]["trial"] for card in response.json()["cards"]
            if "trialcds.evaluation" in card.get("extension", {})}


def test_the_published_search_returns_a_panel_whose_component_is_read(
    fhir_server: FhirServer, discovery_prefetch: dict[str, str]
) -> None:
    load(fhir_server, lupus_patient_with_hiv_screen("panel-search", "negative"))
    search = fill_template(discovery_prefetch["observations"], hook_context("panel-search"))
    response = fhir_server.endpoint.get(search)
    response.raise_for_status()
    found = {entry["resource"]["id"] for entry in response.json().get("entry", [])}
    assert found == {"panel-search-ana", "panel-search-hiv"}


@pytest.mark.parametrize(("hiv", "carded"), [("positive", False), ("negative", True)])
def test_a_component_only_hiv_result_decides_the_exclusion(
    hiv: str, carded: bool, fhir_server: FhirServer, service: Service
) -> None:
    """BLISS-76 E9: a positive HIV test ever excludes; the only HIV test is the panel's component."""
    patient_id = f"panel-hiv-{hiv}"
    load(fhir_server, lupus_patient_with_hiv_screen(patient_id, hiv))
    assert (BLISS_76 in carded_trials(service.call(hook_request(patient_id, fhir_server.endpoint)))) is carded
