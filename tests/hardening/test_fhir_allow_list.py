"""The FHIR host allow-list (issue 5, item 2): the service calls, and sends the client's
token to, only an allow-listed base URL; for anything else the data is missing (named,
with the reason, in a partial answer, issue 11) without any outbound request, and links
or redirects that leave the base are not followed.

The `fhir` fixture fails a test on any call to a URL it did not register, so "no
outbound request" is checked twice: by `fhir.calls` and by the fixture's teardown.
"""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from hardening_support import diagnostics, error_code
from hook_settings import (
    BEARER,
    FHIR_BASE,
    SERVICE_URL,
    missing_data,
    observations_url,
    resources_of,
    searchset,
)
from responses import matchers

LABS_URL = observations_url()
LABS_QUERY = LABS_URL.removeprefix(f"{FHIR_BASE}/")


@pytest.mark.parametrize(
    "fhir_server",
    [
        pytest.param("http://ehr.example.org/fhir", id="scheme-downgrade"),
        pytest.param("https://ehr.example.org:8443/fhir", id="other-port"),
        pytest.param("https://ehr.example.org/fhir-admin", id="base-path-prefix"),
        pytest.param("https://ehr.example.org/fhir/../admin", id="dot-segments"),
        pytest.param("https://ehr.example.org", id="host-without-base-path"),
        pytest.param("https://ehr.example.org.attacker.example.net/fhir", id="host-suffix"),
        pytest.param("https://ehr.example.org@attacker.example.net/fhir", id="userinfo"),
        pytest.param("https://attacker.example.net/fhir?next=https://ehr.example.org/fhir", id="query"),
        pytest.param("http://169.254.169.254/latest/meta-data", id="cloud-metadata"),
        pytest.param("http://127.0.0.1:8080/cds-services", id="loopback"),
    ],
)
def test_fhir_server_not_on_the_allow_list_gets_no_request(client, hook_request, fhir, fhir_server):
    body = hook_request()
    body["fhirServer"] = fhir_server
    del body["prefetch"]["observations"]
    response = client.post(SERVICE_URL, json=body)
    assert "not on this service's allow-list" in missing_data(response)["observations"]["reason"]
    assert len(fhir.calls) == 0


def test_allow_listed_server_written_with_a_trailing_slash_is_called_with_the_token(client, hook_request, fhir):
    body = hook_request()
    body["fhirServer"] = FHIR_BASE + "/"
    labs = resources_of(body["prefetch"].pop("observations"))
    fhir.get(LABS_URL, json=searchset(labs), match=[matchers.header_matcher(BEARER)])
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 200
    assert [unquote(call.request.url) for call in fhir.calls] == [LABS_URL]


@pytest.mark.parametrize(
    "next_url",
    [
        pytest.param("https://attacker.example.net/fhir?page=2", id="other-host"),
        pytest.param("http://ehr.example.org/fhir?page=2", id="scheme-downgrade"),
        pytest.param("https://ehr.example.org:8443/fhir?page=2", id="other-port"),
        pytest.param("https://ehr.example.org@attacker.example.net/fhir?page=2", id="userinfo"),
        pytest.param("https://ehr.example.org/admin?page=2", id="outside-the-base-path"),
        pytest.param(f"{FHIR_BASE}/../admin?page=2", id="dot-segments"),
        pytest.param(f"{FHIR_BASE}/%2e%2e/admin?page=2", id="encoded-dot-segments"),
        pytest.param("/fhir?page=2", id="relative"),
    ],
)
def test_next_link_of_a_fetched_page_that_leaves_the_base_is_not_followed(client, hook_request, fhir, next_url):
    body = hook_request()
    labs = resources_of(body["prefetch"].pop("observations"))
    fhir.get(LABS_URL, json=searchset(labs[:3], next_url=next_url))
    response = client.post(SERVICE_URL, json=body)
    assert missing_data(response)["observations"]["reason"] == "a link points outside the allowed FHIR server; not followed"
    assert [unquote(call.request.url) for call in fhir.calls] == [LABS_URL]


def test_redirect_to_another_host_is_not_followed(client, hook_request, fhir):
    body = hook_request()
    del body["prefetch"]["observations"]
    fhir.get(LABS_URL, status=307, headers={"Location": f"https://attacker.example.net/fhir/{LABS_QUERY}"})
    response = client.post(SERVICE_URL, json=body)
    assert "unexpected status (307 Temporary Redirect)" in missing_data(response)["observations"]["reason"]
    assert [unquote(call.request.url) for call in fhir.calls] == [LABS_URL]


def test_no_request_at_all_when_the_patient_already_cannot_be_had(client, hook_request, fhir):
    """A 412 that is certain from the request alone (no Patient) spares the EHR every callback."""
    body = hook_request()
    del body["prefetch"]["observations"]
    body["prefetch"]["patient"] = {"resourceType": "OperationOutcome", "issue": []}
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 412
    assert error_code(response) == "TRIALCDS-PREFETCH-412"
    assert "prefetch 'patient' (Patient read): the client could not prefetch it" in diagnostics(response)
    assert "prefetch 'observations' (Observation search): not fetched" in diagnostics(response)
    assert len(fhir.calls) == 0
