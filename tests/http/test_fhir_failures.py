"""Needed data that cannot be had, key by key (issue 11, item 2).

Data other than the Patient that cannot be had gives a partial answer: 200, each
evaluation names every missing prefetch key with its reason (`missing_data`), and the
card says what is missing instead of offering a referral. Without the Patient there is
no one to evaluate: 412, naming every missing key and why. Never a 500, and no request
goes to a FHIR server that is not allow-listed.
"""

from __future__ import annotations

import pytest
import requests
from hook_settings import (
    FHIR_BASE,
    SERVICE_URL,
    missing_data,
    observations_url,
    resources_of,
    search_url,
    searchset,
)

LABS_URL = observations_url()
PAGE_2 = f"{FHIR_BASE}?_getpages=abc&_page=2"


def diagnostics(response) -> str:
    """All issue texts of the 412 OperationOutcome answer."""
    assert response.status_code == 412, response.get_data(as_text=True)
    body = response.json
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["details"]["coding"][0]["code"] == "TRIALCDS-PREFETCH-412"
    return " | ".join(issue["diagnostics"] for issue in body["issue"])


def labs_reason(response) -> str:
    """Why the laboratory results are missing from a partial answer (and that nothing else is)."""
    gaps = missing_data(response)
    assert set(gaps) == {"observations"}
    assert gaps["observations"]["resource_type"] == "Observation"
    return gaps["observations"]["reason"]


@pytest.fixture
def labs_not_prefetched(hook_request):
    body = hook_request()
    labs = resources_of(body["prefetch"].pop("observations"))
    return body, labs


def test_no_fhir_server_to_fetch_from(client, hook_request, fhir):
    body = hook_request()
    del body["fhirServer"], body["fhirAuthorization"]
    del body["prefetch"]["observations"], body["prefetch"]["immunizations"]
    response = client.post(SERVICE_URL, json=body)
    gaps = missing_data(response)
    assert set(gaps) == {"observations", "immunizations"}
    assert all("no fhirServer" in gap["reason"] for gap in gaps.values())


def test_fhir_server_not_on_allow_list_gets_no_request(client, hook_request, fhir):
    body = hook_request()
    body["fhirServer"] = "https://other-ehr.example.com/fhir"
    del body["prefetch"]["observations"]
    response = client.post(SERVICE_URL, json=body)
    assert "allow-list" in labs_reason(response)
    assert len(fhir.calls) == 0


def test_no_callbacks_at_all_when_allow_list_is_empty(make_app, labs_not_prefetched, fhir):
    body, _ = labs_not_prefetched
    response = make_app(FHIR_SERVERS=[]).test_client().post(SERVICE_URL, json=body)
    assert "allow-list" in labs_reason(response)
    assert len(fhir.calls) == 0


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (401, "the FHIR server refused the request (401 Unauthorized)"),
        (403, "the FHIR server refused the request (403 Forbidden)"),
        (404, "the FHIR server refused the request (404 Not Found)"),
        (429, "the FHIR server refused the request (429 Too Many Requests)"),
        (500, "the FHIR server failed (500 Internal Server Error)"),
        (503, "the FHIR server failed (503 Service Unavailable)"),
        (302, "the FHIR server answered with an unexpected status (302 Found); redirects are not followed"),
    ],
)
def test_fhir_error_status(client, labs_not_prefetched, fhir, status, reason):
    body, _ = labs_not_prefetched
    fhir.get(LABS_URL, status=status, json={"resourceType": "OperationOutcome", "issue": []})
    assert labs_reason(client.post(SERVICE_URL, json=body)) == reason


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        # The configured timeouts (4 s read, 2 s connect) are shorter than the call's budget (4.5 s):
        # the server, not the budget, is the cause.
        (requests.exceptions.ReadTimeout("read timed out"), "the FHIR server did not answer within 4 s"),
        (requests.exceptions.ConnectTimeout("connect timed out"), "the FHIR server did not accept a connection within 2 s"),
        (requests.exceptions.ConnectionError("connection refused"), "the FHIR server could not be reached"),
    ],
)
def test_fhir_transport_fault(client, labs_not_prefetched, fhir, fault, reason):
    body, _ = labs_not_prefetched
    fhir.get(LABS_URL, body=fault)
    assert labs_reason(client.post(SERVICE_URL, json=body)) == reason


def test_fhir_answer_that_is_not_json(client, labs_not_prefetched, fhir):
    body, _ = labs_not_prefetched
    fhir.get(LABS_URL, body="<html>gateway</html>", content_type="text/html")
    assert "not valid JSON" in labs_reason(client.post(SERVICE_URL, json=body))


def test_fhir_search_answer_that_is_not_a_searchset(client, labs_not_prefetched, fhir):
    body, labs = labs_not_prefetched
    fhir.get(LABS_URL, json={**searchset(labs), "type": "collection"})
    assert "not a searchset Bundle" in labs_reason(client.post(SERVICE_URL, json=body))


def test_fhir_read_answer_of_the_wrong_type(client, hook_request, fhir):
    body = hook_request()
    del body["prefetch"]["patient"]
    fhir.get(f"{FHIR_BASE}/Patient/demo-eligible", json=searchset([]))
    assert "not a Patient" in diagnostics(client.post(SERVICE_URL, json=body))


def test_next_link_loop(client, labs_not_prefetched, fhir):
    body, labs = labs_not_prefetched
    fhir.get(LABS_URL, json=searchset(labs[:2], next_url=PAGE_2))
    fhir.get(PAGE_2, json=searchset(labs[2:], next_url=PAGE_2))
    assert "loop" in labs_reason(client.post(SERVICE_URL, json=body))


def test_search_beyond_the_result_cap(make_app, labs_not_prefetched, fhir):
    body, labs = labs_not_prefetched
    fhir.get(LABS_URL, json=searchset(labs[:5], next_url=PAGE_2))
    fhir.get(PAGE_2, json=searchset(labs[5:]))
    response = make_app(FHIR_SEARCH_MAX_RESOURCES=6).test_client().post(SERVICE_URL, json=body)
    assert "more than 6 results" in labs_reason(response)


def test_search_beyond_the_page_cap(make_app, labs_not_prefetched, fhir):
    body, labs = labs_not_prefetched
    fhir.get(LABS_URL, json=searchset(labs[:5], next_url=PAGE_2))
    fhir.get(PAGE_2, json=searchset(labs[5:]))
    response = make_app(FHIR_SEARCH_MAX_PAGES=1).test_client().post(SERVICE_URL, json=body)
    assert "more than 1 pages" in labs_reason(response)


def test_prefetch_without_a_patient(client, hook_request, fhir):
    body = hook_request()
    body["prefetch"]["patient"] = None
    assert "no Patient" in diagnostics(client.post(SERVICE_URL, json=body))


def test_every_failure_is_listed(client, hook_request, fhir):
    body = hook_request()
    del body["prefetch"]["observations"], body["prefetch"]["procedures"]
    fhir.get(LABS_URL, status=503)
    fhir.get(search_url("Procedure?patient=demo-eligible"), status=403)
    gaps = missing_data(client.post(SERVICE_URL, json=body))
    assert gaps["observations"]["reason"] == "the FHIR server failed (503 Service Unavailable)"
    assert gaps["procedures"]["reason"] == "the FHIR server refused the request (403 Forbidden)"
    assert gaps["procedures"]["resource_type"] == "Procedure"


def test_without_the_patient_every_missing_key_is_named_in_the_412(client, hook_request, fhir):
    body = hook_request()
    del body["fhirServer"], body["fhirAuthorization"]
    del body["prefetch"]["patient"], body["prefetch"]["observations"]
    text = diagnostics(client.post(SERVICE_URL, json=body))
    assert "prefetch 'patient' (Patient read): the request has no fhirServer" in text
    assert "prefetch 'observations' (Observation search): the request has no fhirServer" in text
    assert len(fhir.calls) == 0


def test_paged_prefetch_without_a_fhir_server_is_incomplete(client, hook_request, fhir):
    body = hook_request()
    del body["fhirServer"], body["fhirAuthorization"]
    labs = resources_of(body["prefetch"]["observations"])
    body["prefetch"]["observations"] = searchset(labs[:4], next_url=PAGE_2)
    assert "no fhirServer" in labs_reason(client.post(SERVICE_URL, json=body))
    assert len(fhir.calls) == 0
