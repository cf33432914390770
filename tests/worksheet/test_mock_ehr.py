"""The mock SMART EHR holds to the rules a real EHR enforces, so the worksheet's tests and
demo cannot pass on a flow a real EHR would refuse."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from worksheet_support import CLIENT_ID, REDIRECT_URI, demo_store, install_routes

from cds.demo.smart_ehr import create_mock_ehr_app

VERIFIER = "v" * 64


def authorize_args(ehr, **changes):
    args = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "launch": ehr.new_launch("demo-eligible"),
        "scope": "launch openid fhirUser patient/*.rs",
        "state": "s1",
        "aud": ehr.fhir_base,
        "code_challenge": base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode().rstrip("="),
        "code_challenge_method": "S256",
    }
    args.update(changes)
    return {key: value for key, value in args.items() if value is not None}


def token_form(code, **changes):
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": CLIENT_ID,
        "code_verifier": VERIFIER,
    }
    form.update(changes)
    return form


def code_from(response) -> str:
    return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]


def test_a_wrong_redirect_uri_is_answered_directly_not_redirected(ehr):
    response = create_mock_ehr_app(ehr).test_client().get(
        "/auth/authorize", query_string=authorize_args(ehr, redirect_uri="https://evil.example.net/cb")
    )
    assert response.status_code == 400 and "Location" not in response.headers


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"aud": "https://other.example.org/fhir"}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"launch": "unknown-launch"}, "invalid_request"),
        ({"scope": "launch patient/*.cruds"}, "invalid_scope"),
    ],
)
def test_a_bad_authorization_request_is_redirected_with_an_error(ehr, change, error):
    response = create_mock_ehr_app(ehr).test_client().get("/auth/authorize", query_string=authorize_args(ehr, **change))
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query == {"error": [error], "state": ["s1"]}


def test_a_code_is_traded_once_and_only_with_its_verifier(ehr):
    client = create_mock_ehr_app(ehr).test_client()
    wrong = client.post("/auth/token", data=token_form(code_from(client.get("/auth/authorize", query_string=authorize_args(ehr))), code_verifier="x" * 64))
    assert wrong.status_code == 400 and wrong.json["error"] == "invalid_grant"
    code = code_from(client.get("/auth/authorize", query_string=authorize_args(ehr)))
    first = client.post("/auth/token", data=token_form(code))
    again = client.post("/auth/token", data=token_form(code))
    assert first.status_code == 200 and first.json["patient"] == "demo-eligible"
    assert first.json["token_type"] == "Bearer" and first.headers["Cache-Control"] == "no-store"
    assert again.status_code == 400


def test_fhir_needs_a_token_and_stays_in_the_launched_patients_compartment(ehr):
    client = create_mock_ehr_app(ehr).test_client()
    code = code_from(client.get("/auth/authorize", query_string=authorize_args(ehr)))
    bearer = {"Authorization": f"Bearer {client.post('/auth/token', data=token_form(code)).json['access_token']}"}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        install_routes(mock, ehr, demo_store())
        assert client.get("/fhir/Patient/demo-eligible").status_code == 401
        assert client.get("/fhir/Patient/demo-eligible", headers=bearer).status_code == 200
        assert client.get("/fhir/Patient/demo-washout", headers=bearer).status_code == 403
        assert client.get("/fhir/Condition", query_string={"patient": "demo-washout"}, headers=bearer).status_code == 403
        searched = client.get("/fhir/Condition", query_string={"patient": "demo-eligible"}, headers=bearer)
        assert searched.status_code == 200
        assert searched.json["entry"][0]["resource"]["id"] == "demo-eligible-sle"
