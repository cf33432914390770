"""Malformed hook requests get 400 (or 413 for size) with a JSON body naming the problem."""

from __future__ import annotations

import json

import pytest
from hook_settings import SERVICE_URL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def problem(response) -> str:
    assert response.is_json
    return response.json["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b.update(hook="order-sign"), "hook 'order-sign' is not served here"),
        (lambda b: b.pop("hook"), "hook is required"),
        (lambda b: b.update(hookInstance="not-a-uuid"), "hookInstance must be a UUID"),
        (lambda b: b.pop("hookInstance"), "hookInstance is required"),
        (lambda b: b.pop("context"), "context is required"),
        (lambda b: b["context"].pop("patientId"), "context.patientId is required"),
        (lambda b: b["context"].update(patientId=42), "context.patientId is required"),
        (lambda b: b["context"].update(patientId="../Patient?x=1"), "must be a FHIR id"),
        (lambda b: b.update(fhirServer="ftp://ehr.example.org"), "fhirServer must be an http(s) URL"),
        (lambda b: b.pop("fhirServer"), "fhirAuthorization requires fhirServer"),
        (lambda b: b["fhirAuthorization"].pop("access_token"), "access_token is required"),
        (lambda b: b.update(prefetch=[]), "prefetch must be an object"),
        (lambda b: b["prefetch"].update(observations="Observation/1"), "prefetch 'observations' is not a FHIR resource"),
        (lambda b: b["prefetch"].update(observations={"entry": []}), "prefetch 'observations' is not a FHIR resource"),
        (lambda b: b["prefetch"]["patient"].update(id="someone-else"), "a Patient other than context.patientId"),
        (
            lambda b: b["prefetch"].update(observations={"resourceType": "Patient", "id": "demo-eligible"}),
            "prefetch 'observations' holds a Patient; expected a Bundle",
        ),
    ],
)
def test_malformed_request_is_400_naming_the_problem(client, hook_request, fhir, change, message):
    body = hook_request()
    change(body)
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 400
    assert message in problem(response)
    assert len(fhir.calls) == 0


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b""])
def test_body_that_is_not_a_json_object(client, raw):
    response = client.post(SERVICE_URL, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert "request body" in problem(response)


def test_patient_of_another_id_inside_a_prefetched_bundle(client, hook_request):
    body = hook_request()
    other = {"resourceType": "Patient", "id": "someone-else"}
    body["prefetch"]["conditions"]["entry"].append({"resource": other, "search": {"mode": "include"}})
    assert client.post(SERVICE_URL, json=body).status_code == 400


def test_unknown_fields_are_ignored(client, hook_request):
    body = hook_request()
    body["somethingNew"] = {"x": 1}
    body["context"]["encounterId"] = "enc-1"
    assert client.post(SERVICE_URL, json=body).status_code == 200


def test_body_over_the_size_limit_is_413(make_app, hook_request):
    body = json.dumps(hook_request()).encode()
    client = make_app(MAX_CONTENT_LENGTH=len(body) - 1).test_client()
    response = client.post(SERVICE_URL, data=body, content_type="application/json")
    assert response.status_code == 413
    assert "larger than the configured limit" in problem(response)


def test_default_size_limit_takes_a_10000_resource_patient(app):
    assert app.config["MAX_CONTENT_LENGTH"] >= 50 * 1024 * 1024


def test_unknown_service_is_404_json(client, hook_request):
    response = client.post("/cds-services/no-such-service", json=hook_request())
    assert response.status_code == 404
    assert "no CDS service with id 'no-such-service'" in problem(response)


def test_unknown_path_is_404_json(client):
    response = client.get("/nowhere")
    assert response.status_code == 404 and response.is_json


def test_wrong_method_is_405_json(client):
    response = client.get(SERVICE_URL)
    assert response.status_code == 405 and response.is_json


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)
FIELDS = ["hook", "hookInstance", "context", "fhirServer", "fhirAuthorization", "prefetch"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(FIELDS), value=JSON_VALUES)
def test_any_value_in_any_field_is_answered_without_a_500(client, hook_request, fhir, field, value):
    body = hook_request()
    body[field] = value
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code in (200, 400, 412)
    assert response.is_json


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["patient", "labs", "conditions", "immunizations"]), value=JSON_VALUES)
def test_any_prefetch_value_is_answered_without_a_500(client, hook_request, fhir, key, value):
    body = hook_request()
    body["prefetch"][key] = value
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code in (200, 400, 412)


def test_an_unexpected_fault_is_a_json_500_without_details(client, hook_request, monkeypatch, caplog):
    def broken(*_args):
        raise RuntimeError("value 7.0 g/dL for demo-eligible")

    monkeypatch.setattr("cds.http.service.evaluate_trials", broken)
    response = client.post(SERVICE_URL, json=hook_request())
    assert response.status_code == 500
    assert response.json["issue"][0]["diagnostics"] == "internal error"
    assert "demo-eligible" not in response.get_data(as_text=True)
    (record,) = [r for r in caplog.records if r.getMessage() == "unexpected error"]
    assert record.fields == {"error_class": "RuntimeError"}
    assert "demo-eligible" not in caplog.text
