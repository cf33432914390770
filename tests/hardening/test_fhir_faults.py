"""FHIR faults the HTTP tests do not already cover (issue 5, item 4): answers that are not
resources, faults on a later page, longer `next` loops, caps reached on the first page,
the deadline passing between pages. Each leaves its key missing, named with the reason
(a partial answer, issue 11; a 412 when the key is the Patient), never a 500, and a
missing exclusion input never lets a patient through as a candidate."""

from __future__ import annotations

import json
import time
import types

import pytest
import requests
from hardening_support import diagnostics, error_code
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
IMMUNIZATIONS_URL = search_url("Immunization?patient=demo-washout")
PAGE = f"{FHIR_BASE}?_getpages=7d1c&_page="


def assert_incomplete(response, key: str, reason: str) -> None:
    """A partial answer whose evaluation names the prefetch key, alone, as missing for the reason."""
    gaps = missing_data(response)
    assert list(gaps) == [key]
    assert reason in gaps[key]["reason"]


def assert_412(response, key: str, reason: str) -> None:
    """A 412 OperationOutcome that names the prefetch key and the reason."""
    assert response.status_code == 412
    assert error_code(response) == "TRIALCDS-PREFETCH-412"
    text = diagnostics(response)
    assert f"prefetch '{key}'" in text and reason in text


@pytest.fixture
def labs_request(hook_request):
    """The eligible patient's request without the labs key, and the labs the server holds."""
    body = hook_request()
    return body, resources_of(body["prefetch"].pop("observations"))


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        pytest.param({"json": []}, "not a FHIR resource", id="json-list"),
        pytest.param({"json": {"entry": []}}, "not a FHIR resource", id="no-resourceType"),
        pytest.param({"json": {"resourceType": ["Bundle"]}}, "not a FHIR resource", id="resourceType-not-a-string"),
        pytest.param({"body": ""}, "not valid JSON", id="empty-body"),
        pytest.param({"body": '{"resourceType": "Bundle", '}, "not valid JSON", id="cut-off-json"),
        pytest.param(
            {"json": {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "too-costly"}]}},
            "answered with an OperationOutcome",
            id="operation-outcome-with-200",
        ),
        pytest.param({"json": {"resourceType": "Bundle", "type": "batch-response"}}, "not a searchset", id="batch-response"),
        pytest.param({"json": {"resourceType": "Observation", "id": "x"}}, "not a searchset", id="a-resource-not-a-bundle"),
        pytest.param({"status": 502}, "failed (502 Bad Gateway)", id="502"),
        pytest.param({"status": 504}, "failed (504 Gateway Timeout)", id="504"),
    ],
)
def test_unusable_search_answer_leaves_the_key_missing(client, labs_request, fhir, answer, reason):
    body, _ = labs_request
    fhir.get(LABS_URL, **answer)
    assert_incomplete(client.post(SERVICE_URL, json=body), "observations", reason)


@pytest.mark.parametrize(
    ("second_page", "reason"),
    [
        pytest.param({"status": 500}, "failed (500 Internal Server Error)", id="5xx"),
        pytest.param({"status": 401}, "refused the request (401 Unauthorized)", id="token-expired-mid-search"),
        pytest.param({"status": 429}, "refused the request (429 Too Many Requests)", id="429"),
        pytest.param({"body": requests.exceptions.ReadTimeout("read timed out")}, "did not answer within 4 s", id="timeout"),
        pytest.param({"body": requests.exceptions.ConnectionError("refused")}, "could not be reached", id="refused"),
        pytest.param({"body": "<html>502</html>"}, "not valid JSON", id="invalid-json"),
        pytest.param({"json": {"resourceType": "Bundle", "type": "collection"}}, "not a searchset", id="wrong-type"),
    ],
)
def test_fault_on_a_later_page_leaves_the_key_missing(client, labs_request, fhir, second_page, reason):
    """A search that fails part-way is missing as a whole: the pages already read are not enough."""
    body, labs = labs_request
    fhir.get(LABS_URL, json=searchset(labs[:4], next_url=PAGE + "2"))
    fhir.get(PAGE + "2", **second_page)
    assert_incomplete(client.post(SERVICE_URL, json=body), "observations", reason)


def test_next_links_looping_over_two_pages(client, labs_request, fhir):
    body, labs = labs_request
    fhir.get(LABS_URL, json=searchset(labs[:3], next_url=PAGE + "2"))
    fhir.get(PAGE + "2", json=searchset(labs[3:6], next_url=PAGE + "3"))
    fhir.get(PAGE + "3", json=searchset(labs[6:], next_url=PAGE + "2"))
    assert_incomplete(client.post(SERVICE_URL, json=body), "observations", "next links loop")
    assert len(fhir.calls) == 3


def test_first_page_alone_beyond_the_result_cap(make_app, labs_request, fhir):
    body, labs = labs_request
    fhir.get(LABS_URL, json=searchset(labs))
    response = make_app(FHIR_SEARCH_MAX_RESOURCES=len(labs) - 1).test_client().post(SERVICE_URL, json=body)
    assert_incomplete(response, "observations", f"more than {len(labs) - 1} results")


def test_prefetched_pages_beyond_the_result_cap(make_app, hook_request, fhir):
    body = hook_request()
    labs = resources_of(body["prefetch"]["observations"])
    body["prefetch"]["observations"] = searchset(labs[:4], next_url=PAGE + "2")
    fhir.get(PAGE + "2", json=searchset(labs[4:]))
    response = make_app(FHIR_SEARCH_MAX_RESOURCES=5).test_client().post(SERVICE_URL, json=body)
    assert_incomplete(response, "observations", "more than 5 results")


def test_deadline_passing_between_pages(client, labs_request, fhir, monkeypatch):
    """The clock the FHIR client reads jumps past the deadline while page 1 is served."""
    body, labs = labs_request
    skew = {"seconds": 0.0}
    monkeypatch.setattr(
        "cds.record.fhir_client.time", types.SimpleNamespace(monotonic=lambda: time.monotonic() + skew["seconds"])
    )

    def first_page(_request):
        skew["seconds"] = 3600.0
        return 200, {"Content-Type": "application/fhir+json"}, json.dumps(searchset(labs[:4], next_url=PAGE + "2"))

    fhir.add_callback("GET", LABS_URL, callback=first_page)
    # No `total` on the page: how many pages remained is unknown.
    assert_incomplete(
        client.post(SERVICE_URL, json=body),
        "observations",
        "the service's budget of 4.5 s for this call ran out after 1 page; more remained",
    )
    assert len(fhir.calls) == 1


def test_read_of_the_patient_that_fails_is_412(client, hook_request, fhir):
    body = hook_request()
    del body["prefetch"]["patient"]
    fhir.get(f"{FHIR_BASE}/Patient/demo-eligible", status=404, json={"resourceType": "OperationOutcome", "issue": []})
    assert_412(client.post(SERVICE_URL, json=body), "patient", "refused the request (404 Not Found)")


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"status": 503}, id="5xx"),
        pytest.param({"status": 403}, id="403"),
        pytest.param({"body": requests.exceptions.ConnectTimeout("connect timed out")}, id="timeout"),
        pytest.param({"body": "not json"}, id="invalid-json"),
        pytest.param({"json": {"resourceType": "Bundle", "type": "history"}}, id="wrong-bundle-type"),
        pytest.param({"json": searchset([], next_url=IMMUNIZATIONS_URL)}, id="loop"),
    ],
)
def test_missing_exclusion_data_never_makes_a_candidate(demo_trial_client, hook_request, fhir, answer):
    """The washout patient's live vaccine is an exclusion of NCT05247203 (the trial the demo
    patients are written for, served alone); without the immunizations the service must not
    answer as if there were none (which would show a candidate card): the vaccine criterion
    is unknown, and the one card says what is missing, with no referral."""
    body = hook_request("washout")
    del body["prefetch"]["immunizations"]
    fhir.get(IMMUNIZATIONS_URL, **answer)
    response = demo_trial_client.post(SERVICE_URL, json=body)
    assert_incomplete(response, "immunizations", "")
    (card,) = response.json["cards"]
    assert "suggestions" not in card
    assert "not fully checked" in card["summary"] and "Possible candidate" not in card["summary"]
    (live_vaccine,) = [c for c in card["extension"]["trialcds.evaluation"]["criteria"] if c["id"] == "E8"]
    assert live_vaccine["status"] == "unknown"


@pytest.mark.parametrize("field", ["entry", "link"])
def test_fetched_bundle_whose_entry_or_link_is_not_a_list_leaves_the_key_missing(client, labs_request, fhir, field):
    body, _ = labs_request
    fhir.get(LABS_URL, json={"resourceType": "Bundle", "type": "searchset", field: 1})
    assert_incomplete(client.post(SERVICE_URL, json=body), "observations", "entry or link that is not a list")
