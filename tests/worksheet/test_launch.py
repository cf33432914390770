"""The SMART EHR launch as the worksheet runs it: discovery, the authorization request, the
callback, the session; and every way it can fail, as an HTML page with the right status."""

from __future__ import annotations

import base64
import hashlib
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from worksheet_support import (
    CLIENT_ID,
    EHR_BASE,
    REDIRECT_URI,
    demo_store,
    follow_launch,
    install_routes,
    mock_ehr,
)

from cds.worksheet.routes import LAUNCH_COOKIE, SESSION_COOKIE
from cds.worksheet.smart import SCOPES_V1, SCOPES_V2

DEMO_PATIENT_IDS = ("demo-eligible", "demo-ineligible", "demo-washout", "demo-missing-labs")


def start_launch(client, ehr, patient_id="demo-eligible"):
    launch = urlsplit(ehr.launch_url("/worksheet/launch", ehr.new_launch(patient_id)))
    return client.get(launch.path, query_string=launch.query)


def authorize_params(response) -> dict[str, str]:
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{EHR_BASE}/auth/authorize"
    return {key: values[0] for key, values in parse_qs(target.query).items()}


def test_launch_sends_the_browser_to_authorize_with_pkce_state_and_aud(app, ehr, routed):
    params = authorize_params(start_launch(app.test_client(), ehr))
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == REDIRECT_URI
    assert params["aud"] == ehr.fhir_base
    assert params["scope"] == SCOPES_V2 == "launch openid fhirUser patient/*.rs"
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43  # base64url of a SHA-256 digest, unpadded
    assert len(params["state"]) >= 43
    assert not any(patient in value for patient in DEMO_PATIENT_IDS for value in params.values())


def test_a_smart_v1_server_is_asked_for_v1_scopes(make_app):
    v1 = mock_ehr("v1")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        install_routes(mock, v1, demo_store())
        params = authorize_params(start_launch(make_app(FHIR_SERVERS=[v1.fhir_base]).test_client(), v1))
    assert params["scope"] == SCOPES_V1 == "launch openid fhirUser patient/*.read"


def test_a_full_launch_ends_on_the_worksheet_at_a_url_without_patient_data(app, ehr, routed):
    client = app.test_client()
    response = follow_launch(client, ehr, "demo-eligible")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Possible candidate" in page and "Patient/demo-eligible" in page
    assert "demo-eligible" not in response.request.path and response.request.query_string == b""
    assert response.request.path.startswith("/worksheet/w/")


def test_the_token_is_exchanged_with_the_pkce_verifier_of_the_challenge(app, ehr, routed):
    client = app.test_client()
    params = authorize_params(start_launch(client, ehr))
    code = parse_qs(urlsplit(ehr.authorize(params).headers["Location"]).query)["code"][0]
    response = client.get("/worksheet/callback", query_string={"code": code, "state": params["state"]})
    assert response.status_code == 303
    (token_call,) = [call for call in routed.calls if call.request.url == f"{EHR_BASE}/auth/token"]
    form = parse_qs(token_call.request.body)
    assert form["grant_type"] == ["authorization_code"] and form["client_id"] == [CLIENT_ID]
    assert form["code"] == [code] and form["redirect_uri"] == [REDIRECT_URI]
    verifier = form["code_verifier"][0]
    assert 43 <= len(verifier) <= 128
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    assert digest == params["code_challenge"]


@pytest.mark.parametrize(
    ("query", "status", "heading"),
    [
        ({}, 400, "Open the worksheet from the EHR"),
        ({"iss": EHR_BASE + "/fhir"}, 400, "Open the worksheet from the EHR"),
        ({"iss": "https://attacker.example.net/fhir", "launch": "x"}, 403, "not allowed to launch"),
    ],
)
def test_a_launch_without_context_or_from_an_unlisted_server_is_refused_before_any_call(
    app, routed, query, status, heading
):
    response = app.test_client().get("/worksheet/launch", query_string=query)
    assert response.status_code == status
    assert response.content_type.startswith("text/html")
    assert heading in response.get_data(as_text=True)
    assert len(routed.calls) == 0  # no discovery, so no token can go to an unlisted server


def test_an_ehr_that_cannot_be_reached_gives_a_502_page(make_app):
    app = make_app(FHIR_SERVERS=["https://down.example.org/fhir"])
    with responses.RequestsMock() as mock:
        mock.get(
            "https://down.example.org/fhir/.well-known/smart-configuration", body=requests.ConnectionError("refused")
        )
        response = app.test_client().get(
            "/worksheet/launch", query_string={"iss": "https://down.example.org/fhir", "launch": "abc"}
        )
    assert response.status_code == 502
    assert "SMART configuration could not be read" in response.get_data(as_text=True)


def test_a_callback_with_an_unknown_state_is_refused(app, ehr, routed):
    client = app.test_client()
    start_launch(client, ehr)
    response = client.get("/worksheet/callback", query_string={"code": "c", "state": "not-the-state"})
    assert response.status_code == 400
    assert "This sign-in has expired" in response.get_data(as_text=True)


def test_a_callback_in_another_browser_is_refused(app, ehr, routed):
    params = authorize_params(start_launch(app.test_client(), ehr))
    other_browser = app.test_client()
    response = other_browser.get("/worksheet/callback", query_string={"code": "c", "state": params["state"]})
    assert response.status_code == 400


def test_a_state_is_used_once(app, ehr, routed):
    client = app.test_client()
    params = authorize_params(start_launch(client, ehr))
    first = client.get("/worksheet/callback", query_string={"error": "access_denied", "state": params["state"]})
    again = client.get("/worksheet/callback", query_string={"code": "c", "state": params["state"]})
    assert first.status_code == 403 and "access_denied" in first.get_data(as_text=True)
    assert again.status_code == 400


def test_a_refused_token_request_gives_a_502_page(app, ehr, routed):
    client = app.test_client()
    params = authorize_params(start_launch(client, ehr))
    response = client.get("/worksheet/callback", query_string={"code": "forged-code", "state": params["state"]})
    assert response.status_code == 502
    page = response.get_data(as_text=True)
    assert "did not issue an access token" in page and "invalid_grant" in page
    assert "Traceback" not in page


def test_the_worksheet_opens_only_in_the_browser_that_launched_it(app, ehr, routed):
    response = follow_launch(app.test_client(), ehr, "demo-washout")
    stranger = app.test_client().get(response.request.path)
    assert stranger.status_code == 403
    assert "This worksheet is closed" in stranger.get_data(as_text=True)
    assert "demo-washout" not in stranger.get_data(as_text=True)


def test_two_patients_in_one_browser_keep_their_own_worksheets(app, ehr, routed):
    client = app.test_client()
    first = follow_launch(client, ehr, "demo-eligible")
    follow_launch(client, ehr, "demo-washout")
    again = client.get(first.request.path)
    assert "Patient/demo-eligible" in again.get_data(as_text=True)
    assert "Patient/demo-washout" not in again.get_data(as_text=True)


def test_closing_the_worksheet_ends_its_session(app, ehr, routed):
    client = app.test_client()
    page = follow_launch(client, ehr, "demo-eligible").request.path
    closed = client.post(page + "end")
    assert closed.status_code == 200 and "Worksheet closed" in closed.get_data(as_text=True)
    assert client.get(page).status_code == 403


def test_pages_are_not_stored_and_run_under_a_strict_policy(app, ehr, routed):
    client = app.test_client()
    launch = start_launch(client, ehr)
    page = follow_launch(client, ehr, "demo-eligible")
    error = client.get("/worksheet/launch")
    for response in (launch, page, error):
        assert response.headers["Cache-Control"] == "no-store"
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_cookies_hold_only_random_ids_and_are_httponly_and_lax(app, ehr, routed):
    client = app.test_client()
    follow_launch(client, ehr, "demo-eligible")
    cookies = {cookie.key: cookie for cookie in client._cookies.values()}
    assert set(cookies) == {LAUNCH_COOKIE, SESSION_COOKIE}
    for cookie in cookies.values():
        assert cookie.http_only and cookie.same_site == "Lax"
        assert len(cookie.value) >= 43 and "demo" not in cookie.value
    assert cookies[SESSION_COOKIE].path.startswith("/worksheet/w/")


def test_over_https_the_cookies_are_secure(make_app, ehr, routed):
    app = make_app(PUBLIC_BASE_URL="https://trialcds.example.org")
    response = start_launch(app.test_client(), ehr)
    assert "Secure" in response.headers["Set-Cookie"]
    assert authorize_params(response)["redirect_uri"] == "https://trialcds.example.org/worksheet/callback"


def test_a_record_that_cannot_be_read_in_full_shows_nothing_but_what_failed(app, ehr):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        install_routes(mock, ehr, demo_store(), failing_type="Condition")
        response = follow_launch(app.test_client(), ehr, "demo-eligible")
    assert response.status_code == 502
    page = response.get_data(as_text=True)
    assert "could not be read in full" in page and "Condition search" in page
    assert "Possible candidate" not in page


def test_an_unexpected_failure_is_a_plain_500_page_without_details(app, ehr, routed, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("Alex Demo, hemoglobin 7.0")

    monkeypatch.setattr("cds.worksheet.routes.evaluate_patient", broken)
    response = follow_launch(app.test_client(), ehr, "demo-eligible")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "The worksheet failed" in page and "Alex" not in page and "Traceback" not in page


def test_the_log_of_a_launch_holds_no_patient_data_code_or_token(app, ehr, routed, caplog):
    with caplog.at_level(logging.DEBUG):
        follow_launch(app.test_client(), ehr, "demo-eligible")
    token_answer = [c for c in routed.calls if c.request.url == f"{EHR_BASE}/auth/token"][-1].response.json()
    text = caplog.text + "".join(str(getattr(r, "fields", "")) for r in caplog.records)
    for secret in ("demo-eligible", "Alex", token_answer["access_token"], "code="):
        assert secret not in text
    assert any(r.getMessage() == "worksheet shown" for r in caplog.records)
