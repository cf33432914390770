"""Discovery (CDS Hooks 2.0 §Discovery) and the prefetch templates it publishes."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from cds.trials.loader import load_trials

TOKEN = re.compile(r"\{\{(.*?)\}\}")


def test_discovery_lists_the_one_service(client):
    response = client.get("/cds-services")
    assert response.status_code == 200
    (service,) = response.json["services"]
    assert service["id"] == "trial-eligibility"
    assert service["hook"] == "patient-view"
    assert service["title"] and service["description"]
    assert "NCT05247203" in service["description"]


def test_prefetch_covers_every_resource_type_the_trials_read(client):
    prefetch = client.get("/cds-services").json["services"][0]["prefetch"]
    searched = {template.split("?")[0].split("/")[0] for template in prefetch.values()}
    included = {m.split(":")[0] for t in prefetch.values() for m in re.findall(r"_include=([\w:]+)", t)}
    needed = set().union(*(trial.resource_types for trial in load_trials().values()))
    assert needed - {"Medication"} <= searched
    assert "Medication" not in needed or {"MedicationRequest", "MedicationStatement"} <= included
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    observations, query = prefetch["observations"].split("?")
    params = dict(parse_qsl(query))
    assert observations == "Observation"
    assert params["patient"] == "{{context.patientId}}"
    # Only the Observations the criteria read: every LOINC code of their analytes, no other.
    asked = set(params["code"].split(","))
    assert {"http://loinc.org|718-7", "http://loinc.org|59260-0", "http://loinc.org|2160-0", "http://loinc.org|29463-7"} <= asked
    # NCT05247203 reads no eGFR (its E3.2 is creatinine clearance); a trial that reads eGFR asks for it.
    assert ("http://loinc.org", "33914-3") not in load_trials()["nct05247203"].observation_codes
    assert asked == {f"{s}|{c}" for t in load_trials().values() for s, c in t.observation_codes}


def test_searches_ask_for_large_pages(client, make_app):
    """`_count` (CDS Hooks 2.0 recommended subset) on every search, from FHIR_SEARCH_COUNT; reads carry none."""
    prefetch = client.get("/cds-services").json["services"][0]["prefetch"]
    searches = {key: dict(parse_qsl(t.split("?")[1])) for key, t in prefetch.items() if "?" in t}
    assert searches and all(params["_count"] == "1000" for params in searches.values())
    assert "_count" not in prefetch["patient"]
    other = make_app(FHIR_SEARCH_COUNT="200").test_client().get("/cds-services").json["services"][0]["prefetch"]
    assert other["conditions"] == "Condition?patient={{context.patientId}}&_count=200"


def test_prefetch_templates_use_only_2_0_tokens(client):
    prefetch = client.get("/cds-services").json["services"][0]["prefetch"]
    for template in prefetch.values():
        assert TOKEN.findall(template) == ["context.patientId"]
        assert "date=" not in template and "today" not in template


def test_discovery_has_no_null_or_empty_field(client):
    (service,) = client.get("/cds-services").json["services"]
    assert all(value not in (None, "", [], {}) for value in service.values())
