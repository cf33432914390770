"""Discovery (CDS Hooks 2.0 §Discovery) and the prefetch templates it publishes."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

import pytest

from cds.config import ConfigError
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
    # Only the Observations the criteria read: every LOINC code of their analytes, no other,
    # on the Observation or on one of its components (FHIR R4 `combo-code`).
    assert "code" not in params
    asked = set(params["combo-code"].split(","))
    assert {"http://loinc.org|718-7", "http://loinc.org|59260-0", "http://loinc.org|2160-0", "http://loinc.org|29463-7"} <= asked
    # eGFR is not creatinine clearance for NCT05247203 (E3.2); it is asked for only because a
    # portfolio trial reads it per 1.73 m² (criteria-nct03543839.md G10, E10).
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


@pytest.mark.parametrize(("setting", "parameter"), [("code", "code"), ("COMBO-CODE", "combo-code"), ("none", None)])
def test_the_observation_search_names_its_codes_by_the_parameter_set(make_app, setting, parameter):
    """FHIR_OBSERVATION_CODE_PARAMETER: `code` for a server without `combo-code`, `none` for no code filter."""
    prefetch = make_app(FHIR_OBSERVATION_CODE_PARAMETER=setting).test_client().get("/cds-services").json
    params = dict(parse_qsl(prefetch["services"][0]["prefetch"]["observations"].split("?")[1]))
    assert set(params) - {"patient", "_count"} == ({parameter} if parameter else set())
    if parameter:
        assert "http://loinc.org|718-7" in params[parameter].split(",")


def test_an_unknown_observation_code_parameter_stops_start_up(make_app):
    with pytest.raises(ConfigError, match="FHIR_OBSERVATION_CODE_PARAMETER must be one of combo-code, code, none"):
        make_app(FHIR_OBSERVATION_CODE_PARAMETER="component-code")


def test_prefetch_templates_use_only_2_0_tokens(client):
    prefetch = client.get("/cds-services").json["services"][0]["prefetch"]
    for template in prefetch.values():
        assert TOKEN.findall(template) == ["context.patientId"]
        assert "date=" not in template and "today" not in template


def test_discovery_has_no_null_or_empty_field(client):
    (service,) = client.get("/cds-services").json["services"]
    assert all(value not in (None, "", [], {}) for value in service.values())
