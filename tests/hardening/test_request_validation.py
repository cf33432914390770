"""Bad hook requests the HTTP tests do not already try: each is a 400 (413 for size) with a
JSON body naming the problem, makes no FHIR call, and unknown fields change nothing."""

from __future__ import annotations

import io
import json

import pytest
from hardening_support import diagnostics, error_code
from hook_settings import SERVICE_URL

FEEDBACK_URL = SERVICE_URL + "/feedback"


def post_raw(client, body: bytes, **kwargs):
    return client.post(SERVICE_URL, data=body, content_type="application/json", **kwargs)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"hook": "patient-view\xff"}', id="not-utf-8"),
        pytest.param(b"[" * 5000 + b"]" * 5000, id="nested-beyond-parser-depth"),
        pytest.param(b'{"hook": NaN}', id="nan"),
        pytest.param(b"\xef\xbb\xbf\x00", id="bom-and-nul"),
    ],
)
def test_body_the_json_parser_refuses_is_400(client, fhir, raw):
    response = post_raw(client, raw)
    assert response.status_code == 400
    assert error_code(response) == "TRIALCDS-REQUEST-400"
    assert "request body is not valid JSON" in diagnostics(response)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b.update(hook=42), "hook is required and must be a non-empty string"),
        (lambda b: b.update(hook=""), "hook is required and must be a non-empty string"),
        (lambda b: b.update(hookInstance=123), "hookInstance is required and must be a non-empty string"),
        (lambda b: b.update(hookInstance=["d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"]), "hookInstance is required"),
        (lambda b: b.update(hookInstance="d1577c69-dfbe-44ad-ba6d"), "hookInstance must be a UUID"),
        (lambda b: b.update(context=[]), "context is required and must be an object"),
        (lambda b: b.update(context="patientId=demo-eligible"), "context is required and must be an object"),
        (lambda b: b["context"].update(patientId=""), "context.patientId is required and must be a FHIR id"),
        (lambda b: b["context"].update(patientId=None), "context.patientId is required and must be a FHIR id"),
        (lambda b: b["context"].update(patientId="x" * 65), "context.patientId is required and must be a FHIR id"),
        (lambda b: b["context"].update(patientId="Patient/demo-eligible"), "must be a FHIR id"),
        (lambda b: b["context"].update(patientId=["demo-eligible"]), "must be a FHIR id"),
        (lambda b: b.update(fhirServer=42), "fhirServer must be an http(s) URL"),
        (lambda b: b.update(fhirServer="https://"), "fhirServer must be an http(s) URL"),
        (lambda b: b.update(fhirAuthorization="Bearer abc"), "fhirAuthorization must be an object"),
        (lambda b: b["fhirAuthorization"].update(token_type="MAC"), "token_type must be Bearer"),
        (lambda b: b["fhirAuthorization"].update(access_token=""), "access_token is required"),
        (lambda b: b.update(prefetch="labs"), "prefetch must be an object"),
        (lambda b: b["prefetch"].update(observations=7), "prefetch 'observations' is not a FHIR resource"),
        (lambda b: b["prefetch"].update(observations=[]), "prefetch 'observations' is not a FHIR resource"),
        (lambda b: b["prefetch"].update(observations=True), "prefetch 'observations' is not a FHIR resource"),
        (lambda b: b["prefetch"].update(observations={"resourceType": 7}), "prefetch 'observations' is not a FHIR resource"),
        (lambda b: b["prefetch"]["patient"].pop("id"), "a Patient other than context.patientId"),
        (
            lambda b: b["prefetch"].update(conditions={"resourceType": "Condition", "id": "sle"}),
            "prefetch 'conditions' holds a Condition; expected a Bundle",
        ),
    ],
)
def test_malformed_field_is_400_naming_it(client, hook_request, fhir, change, message):
    body = hook_request()
    change(body)
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 400
    assert error_code(response) == "TRIALCDS-REQUEST-400"
    assert message in diagnostics(response)
    assert len(fhir.calls) == 0


def test_patient_in_an_unknown_prefetch_key_must_still_be_the_context_patient(client, hook_request, fhir):
    body = hook_request()
    body["prefetch"]["somethingElse"] = {"resourceType": "Patient", "id": "someone-else"}
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 400
    assert "prefetch 'somethingElse' holds a Patient other than context.patientId" in diagnostics(response)


def test_unknown_fields_at_every_level_change_nothing(client, hook_request, fhir):
    plain = client.post(SERVICE_URL, json=hook_request())
    body = hook_request()
    body["extension"] = {"com.example.ehr": {"tenant": "north"}}
    body["context"]["encounterId"] = "enc-1"
    body["context"]["userId"] = "Practitioner/dr-1"
    body["fhirAuthorization"]["patient"] = "demo-eligible"
    body["fhirAuthorization"]["refresh"] = {"nested": [1, 2]}
    body["prefetch"]["notAKeyOfThisService"] = None
    body["prefetch"]["alsoNotAKey"] = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == plain.status_code == 200
    evaluations = [r.json["cards"][0]["extension"]["trialcds.evaluation"] for r in (plain, response)]
    assert evaluations[0] == evaluations[1]
    assert len(fhir.calls) == 0


def test_body_exactly_at_the_size_limit_is_accepted(make_app, hook_request, fhir):
    body = json.dumps(hook_request()).encode()
    response = post_raw(make_app(MAX_CONTENT_LENGTH=len(body)).test_client(), body)
    assert response.status_code == 200


def test_streamed_body_over_the_size_limit_is_413(make_app, hook_request, fhir):
    """A chunked body has no Content-Length: gunicorn passes it as a terminated stream, which
    must be refused as too large, not cut at the limit and then misread as invalid JSON."""
    body = json.dumps(hook_request()).encode()
    client = make_app(MAX_CONTENT_LENGTH=len(body) // 2).test_client()
    response = client.post(
        SERVICE_URL,
        input_stream=io.BytesIO(body),
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert error_code(response) == "TRIALCDS-REQUEST-413"


def test_streamed_body_under_the_size_limit_is_read_whole(make_app, hook_request, fhir):
    body = json.dumps(hook_request()).encode()
    client = make_app(MAX_CONTENT_LENGTH=len(body) * 2).test_client()
    response = client.post(
        SERVICE_URL,
        input_stream=io.BytesIO(body),
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 200


def test_feedback_over_the_size_limit_is_413(make_app):
    body = json.dumps({"feedback": [{"card": "3a1f0c3e-5b0e-4c55-9a8b-2f4c8e1d7a10", "outcome": "overridden"}]})
    client = make_app(MAX_CONTENT_LENGTH=len(body) - 1).test_client()
    response = client.post(FEEDBACK_URL, data=body, content_type="application/json")
    assert response.status_code == 413
    assert error_code(response) == "TRIALCDS-REQUEST-413"


@pytest.mark.parametrize("raw", [b"", b"[]", b'"feedback"', b"{\xff}"])
def test_feedback_body_that_is_not_a_json_object_is_400(client, raw):
    response = client.post(FEEDBACK_URL, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert error_code(response) == "TRIALCDS-FEEDBACK-400"
    assert "feedback body" in diagnostics(response)


@pytest.mark.parametrize("field", ["entry", "link"])
def test_prefetched_bundle_whose_entry_or_link_is_not_a_list_is_400(client, hook_request, fhir, field):
    """Read as empty, such a Bundle would hide data: a hidden exclusion must never pass."""
    body = hook_request()
    body["prefetch"]["immunizations"] = {"resourceType": "Bundle", "type": "searchset", field: {"resource": {}}}
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 400
    assert "prefetch 'immunizations' is a Bundle with an entry or link that is not a list" in diagnostics(response)


@pytest.mark.parametrize("entry", [{"fullUrl": "https://ehr.example.org/fhir/Observation/1"}, {"resource": "Observation"},
                                   {"resource": {"resourceType": 7}}, "Observation"])
def test_prefetched_bundle_with_an_entry_that_holds_no_resource_is_400(client, hook_request, fhir, entry):
    """Dropped, such an entry could be the hemoglobin that excludes: a hidden exclusion must never pass."""
    body = hook_request()
    body["prefetch"]["observations"]["entry"].append(entry)
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 400
    assert "prefetch 'observations' is a Bundle with an entry that holds no FHIR resource" in diagnostics(response)


@pytest.mark.parametrize("server", ["https://[::1", "http://[x]/fhir", "https://ehr.example.org:99999/fhir", "https:///fhir"])
def test_a_fhir_server_that_is_no_url_is_400(client, hook_request, server):
    body = hook_request()
    body["fhirServer"] = server
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 400
    assert "fhirServer must be an http(s) URL" in diagnostics(response)
