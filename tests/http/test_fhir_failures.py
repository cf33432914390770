"""Every way needed data cannot be had gives 412 with a JSON body naming what is missing,
never a 500, and no request goes to a FHIR server that is not allow-listed."""

from __future__ import annotations

import pytest
import requests
from hook_settings import (
    FHIR_BASE,
    SERVICE_URL,
    observations_url,
    resources_of,
    searchset,
)

LABS_URL = observations_url()
PAGE_2 = f"{FHIR_BASE}?_getpages=abc&_page=2"


def diagnostics(response) -> str:
    """All issue texts of the OperationOutcome answer."""
    body = response.json
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["details"]["coding"][0]["code"] == "TRIALCDS-PREFETCH-412"
    return " | ".join(issue["diagnostics"] for issue in body["issue"])


@pytest.fixture
def labs_not_prefetched(hook_request):
    body = hook_request()
    labs = resources_of(body["prefetch"].pop("observations"))
    return body, labs


def test_no_fhir_server_to_fetch_from(client, hook_request, fhir):
    body = hook_request()
    del body["fhirServer"], body["fhirAuthorization"]
    del body["prefetch"]["observations"], body["prefetch"]["conditions"]
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 412
    text = diagnostics(response)
    assert "prefetch 'observations'" in text and "prefetch 'conditions'" in text and "no fhirServer" in text


def test_fhir_server_not_on_allow_list_gets_no_request(client, hook_request, fhir):
    body, _ = hook_request(), None
    body["fhirServer"] = "https://other-ehr.example.com/fhir"
    del body["prefetch"]["observations"]
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 412
    assert "allow-list" in diagnostics(response)
    assert len(fhir.calls) == 0


def test_no_callbacks_at_all_when_allow_list_is_empty(make_app, labs_not_prefetched, fhir):
    body, _ = labs_not_prefetched
    response = make_app(FHIR_SERVERS=[]).test_client().post(SERVICE_URL, json=body)
    assert response.status_code == 412
    assert len(fhir.calls) == 0


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (401, "refused the access token"),
        (403, "denied access"),
        (404, "no such resource"),
        (429, "rate-limiting"),
        (500, "failed (500)"),
        (503, "failed (503)"),
        (302, "unexpected status (302)"),
    ],
)
def test_fhir_error_status(client, labs_not_prefetched, fhir, status, reason):
    body, _ = labs_not_prefetched
    fhir.get(LABS_URL, status=status, json={"resourceType": "OperationOutcome", "issue": []})
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 412
    assert reason in diagnostics(response)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (requests.exceptions.ReadTimeout("read timed out"), "did not answer in time"),
        (requests.exceptions.ConnectTimeout("connect timed out"), "did not answer in time"),
        (requests.exceptions.ConnectionError("connection refused"), "could not be reached"),
    ],
)
def test_fhir_transport_fault(client, labs_not_prefetched, fhir, fault, reason):
    body, _ = labs_not_prefetched
    fhir.get(LABS_URL, body=fault)
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 412
    assert reason in diagnostics(response)


def test_fhir_answer_that_is_not_json(client, labs_not_prefetched, fhir):
    body, _ = labs_not_prefetched
    fhir.get(LABS_URL, body="<html>gateway</html>", content_type="text/html")
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 412
    assert "not valid JSON" in diagnostics(response)


def test_fhir_search_answer_that_is_not_a_searchset(client, labs_not_prefetched, fhir):
    body, labs = labs_not_prefetched
    fhir.get(LABS_URL, json={**searchset(labs), "type": "collection"})
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 412
    assert "not a searchset Bundle" in diagnostics(response)


def test_fhir_read_answer_of_the_wrong_type(client, hook_request, fhir):
    body = hook_request()
    del body["prefetch"]["patient"]
    fhir.get(f"{FHIR_BASE}/Patient/demo-eligible", json=searchset([]))
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 412
    assert "not a Patient" in diagnostics(response)


def test_next_link_loop(client, labs_not_prefetched, fhir):
    body, labs = labs_not_prefetched
    fhir.get(LABS_URL, json=searchset(labs[:2], next_url=PAGE_2))
    fhir.get(PAGE_2, json=searchset(labs[2:], next_url=PAGE_2))
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 412
    assert "loop" in diagnostics(response)


def test_search_beyond_the_result_cap(make_app, labs_not_prefetched, fhir):
    body, labs = labs_not_prefetched
    fhir.get(LABS_URL, json=searchset(labs[:5], next_url=PAGE_2))
    fhir.get(PAGE_2, json=searchset(labs[5:]))
    response = make_app(FHIR_SEARCH_MAX_RESOURCES=6).test_client().post(SERVICE_URL, json=body)
    assert response.status_code == 412
    assert "more than 6 results" in diagnostics(response)


def test_search_beyond_the_page_cap(make_app, labs_not_prefetched, fhir):
    body, labs = labs_not_prefetched
    fhir.get(LABS_URL, json=searchset(labs[:5], next_url=PAGE_2))
    fhir.get(PAGE_2, json=searchset(labs[5:]))
    response = make_app(FHIR_SEARCH_MAX_PAGES=1).test_client().post(SERVICE_URL, json=body)
    assert response.status_code == 412
    assert "more than 1 pages" in diagnostics(response)


def test_prefetch_without_a_patient(client, hook_request, fhir):
    body = hook_request()
    body["prefetch"]["patient"] = None
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 412
    assert "no Patient" in diagnostics(response)


def test_every_failure_is_listed(client, hook_request, fhir):
    body = hook_request()
    del body["prefetch"]["observations"], body["prefetch"]["procedures"]
    fhir.get(LABS_URL, status=503)
    fhir.get(f"{FHIR_BASE}/Procedure?patient=demo-eligible", status=403)
    text = diagnostics(client.post(SERVICE_URL, json=body))
    assert "prefetch 'observations'" in text and "prefetch 'procedures'" in text


def test_paged_prefetch_without_a_fhir_server_is_incomplete(client, hook_request, fhir):
    body = hook_request()
    del body["fhirServer"], body["fhirAuthorization"]
    labs = resources_of(body["prefetch"]["observations"])
    body["prefetch"]["observations"] = searchset(labs[:4], next_url=PAGE_2)
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 412
    assert "prefetch 'observations'" in diagnostics(response) and "no fhirServer" in diagnostics(response)
    assert len(fhir.calls) == 0
