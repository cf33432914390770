"""Prefetch handling (CDS Hooks 2.0 §Prefetch Template): present, null, OperationOutcome,
absent, and paged Bundles, prefetched or fetched; the token goes to fhirServer only."""

from __future__ import annotations

import json
import logging
import threading

import pytest
import responses
from hook_settings import (
    DEMO_TRIAL_LABS_URL,
    ACCESS_TOKEN,
    BEARER,
    FHIR_BASE,
    SERVICE_URL,
    missing_data,
    resources_of,
    search_url,
    searchset,
)
from responses import matchers

# The service runs NCT05247203 alone here (`app` below), so each answer holds that trial's
# card, and its Observation search is that trial's.
LABS_URL = DEMO_TRIAL_LABS_URL
OPERATION_OUTCOME = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "timeout", "diagnostics": "query timed out"}],
}


@pytest.fixture
def app(make_app, demo_trial_dir):
    """The service with NCT05247203 alone, the trial the demo patients are written for."""
    return make_app(TRIALS_DIR=str(demo_trial_dir))


def evaluation(response) -> dict:
    (card,) = response.json["cards"]
    return card["extension"]["trialcds.evaluation"]


@pytest.fixture
def full_prefetch_evaluation(client, hook_request, fhir) -> dict:
    """The evaluation of the eligible demo patient when every key is prefetched."""
    response = client.post(SERVICE_URL, json=hook_request())
    assert response.status_code == 200
    assert len(fhir.calls) == 0
    return evaluation(response)


def test_full_prefetch_makes_no_fhir_call(full_prefetch_evaluation):
    assert full_prefetch_evaluation["decision"] == "potentially_eligible"


def test_absent_key_is_fetched_with_the_bearer_token(client, hook_request, fhir, full_prefetch_evaluation):
    body = hook_request()
    labs = body["prefetch"].pop("observations")
    fhir.get(LABS_URL, json=searchset(resources_of(labs)), match=[matchers.header_matcher(BEARER)])
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 200
    assert len(fhir.calls) == 1
    assert evaluation(response) == full_prefetch_evaluation


def test_absent_patient_key_is_read(client, hook_request, fhir, full_prefetch_evaluation):
    body = hook_request()
    patient = body["prefetch"].pop("patient")
    fhir.get(f"{FHIR_BASE}/Patient/demo-eligible", json=patient, match=[matchers.header_matcher(BEARER)])
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 200
    assert evaluation(response) == full_prefetch_evaluation


def test_whole_prefetch_absent_fetches_every_key(client, hook_request, fhir, full_prefetch_evaluation):
    body = hook_request()
    prefetch = body.pop("prefetch")
    discovery = client.get("/cds-services").json["services"][0]["prefetch"]
    for key, template in discovery.items():
        url = f"{FHIR_BASE}/{template.replace('{{context.patientId}}', 'demo-eligible')}"
        value = prefetch[key]
        if value is None:
            value = searchset([])
        elif value["resourceType"] == "Bundle":
            value = searchset(resources_of(value))
        fhir.get(url, json=value, match=[matchers.header_matcher(BEARER)])
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 200
    assert len(fhir.calls) == len(discovery)
    assert evaluation(response) == full_prefetch_evaluation


def test_null_key_means_no_data_and_is_not_fetched(client, hook_request, fhir):
    body = hook_request("washout")
    body["prefetch"]["immunizations"] = None  # the live vaccine is now "not on record"
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 200
    assert len(fhir.calls) == 0
    assert evaluation(response)["decision"] == "potentially_eligible"


def test_operation_outcome_counts_as_missing_and_is_not_refetched(client, hook_request, fhir):
    body = hook_request()
    body["prefetch"]["observations"] = OPERATION_OUTCOME
    response = client.post(SERVICE_URL, json=body)
    assert missing_data(response)["observations"]["reason"] == "the client could not prefetch it (OperationOutcome)"
    assert len(fhir.calls) == 0


def test_paged_prefetch_bundle_is_followed_with_the_token(client, hook_request, fhir, full_prefetch_evaluation):
    body = hook_request()
    labs = resources_of(body["prefetch"]["observations"])
    page_2 = f"{FHIR_BASE}?_getpages=abc&_page=2"
    body["prefetch"]["observations"] = searchset(labs[:4], next_url=page_2)
    fhir.get(page_2, json=searchset(labs[4:]), match=[matchers.header_matcher(BEARER)])
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 200
    assert len(fhir.calls) == 1
    assert evaluation(response) == full_prefetch_evaluation


def test_paged_fetched_search_is_followed_to_the_last_page(client, hook_request, fhir, full_prefetch_evaluation):
    body = hook_request()
    labs = resources_of(body["prefetch"].pop("observations"))
    pages = [f"{FHIR_BASE}?_getpages=abc&_page={n}" for n in (2, 3)]
    fhir.get(LABS_URL, json=searchset(labs[:3], next_url=pages[0]), match=[matchers.header_matcher(BEARER)])
    fhir.get(pages[0], json=searchset(labs[3:6], next_url=pages[1]), match=[matchers.header_matcher(BEARER)])
    fhir.get(pages[1], json=searchset(labs[6:]), match=[matchers.header_matcher(BEARER)])
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 200
    assert len(fhir.calls) == 3
    assert evaluation(response) == full_prefetch_evaluation


def test_next_link_to_another_host_is_not_followed(client, hook_request, fhir):
    body = hook_request()
    labs = resources_of(body["prefetch"]["observations"])
    body["prefetch"]["observations"] = searchset(labs[:4], next_url="https://attacker.example.net/fhir?page=2")
    response = client.post(SERVICE_URL, json=body)
    assert "outside the allowed FHIR server" in missing_data(response)["observations"]["reason"]
    assert len(fhir.calls) == 0


def test_token_is_sent_only_to_fhir_server_and_never_logged(client, hook_request, fhir, caplog):
    body = hook_request()
    body["prefetch"].pop("observations")
    labs = resources_of(hook_request()["prefetch"]["observations"])
    fhir.get(LABS_URL, json=searchset(labs), match=[matchers.header_matcher(BEARER)])
    with caplog.at_level(logging.DEBUG):
        response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 200
    assert all(call.request.url.startswith(FHIR_BASE + "/") for call in fhir.calls)
    logged = "\n".join(record.getMessage() + str(getattr(record, "fields", "")) for record in caplog.records)
    assert body["hookInstance"] in logged
    for secret in (ACCESS_TOKEN, "demo-eligible", "Demo", "Alex"):
        assert secret not in logged
        assert secret not in caplog.text


def test_unauthenticated_callbacks_are_allowed_only_when_configured(make_app, hook_request, fhir):
    body = hook_request(with_token=False)
    labs = resources_of(body["prefetch"].pop("observations"))
    fhir.get(LABS_URL, json=searchset(labs))
    refused = make_app().test_client().post(SERVICE_URL, json=body)
    assert "no fhirAuthorization" in missing_data(refused)["observations"]["reason"]
    assert len(fhir.calls) == 0
    response = make_app(FHIR_ALLOW_NO_TOKEN=True).test_client().post(SERVICE_URL, json=body)
    assert response.status_code == 200
    assert "Authorization" not in fhir.calls[0].request.headers


def test_fetches_run_concurrently(client, hook_request, fhir):
    body = hook_request()
    labs = resources_of(body["prefetch"].pop("observations"))
    conditions = resources_of(body["prefetch"].pop("conditions"))
    # Each answer waits for the other request to arrive: only concurrent fetches get through.
    both_arrived = threading.Barrier(2, timeout=30)

    def answer(resources):
        def callback(_request):
            both_arrived.wait()
            return 200, {}, json.dumps(searchset(resources))

        return callback

    fhir.add_callback(responses.GET, LABS_URL, callback=answer(labs))
    fhir.add_callback(responses.GET, search_url("Condition?patient=demo-eligible"), callback=answer(conditions))
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 200
    assert len(fhir.calls) == 2


def with_subject(bundle: dict, reference: str) -> dict:
    for entry in bundle["entry"]:
        entry["resource"]["subject"] = {"reference": reference}
    return bundle


def test_resources_of_another_patient_are_a_412_never_read_as_this_one(client, hook_request):
    """An EHR whose patient-scoped search returned another patient's Conditions: read as this
    patient's, the other patient's SLE diagnosis would make this one a candidate."""
    body = hook_request()
    with_subject(body["prefetch"]["conditions"], "Patient/someone-else")
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 412
    issues = [issue["diagnostics"] for issue in response.json["issue"]]
    assert issues[0] == "the resources received are not one patient's"
    assert any(text.startswith("resources of another patient: ") and "Condition" in text for text in issues)
    assert not any("someone-else" in text for text in issues)


@pytest.mark.parametrize("reference", ["https://ehr.example.org/fhir/Patient/demo-eligible", "Patient/demo-eligible/_history/3"])
def test_this_patient_named_in_another_form_is_this_patient(client, hook_request, reference):
    body = hook_request()
    plain = client.post(SERVICE_URL, json=hook_request()).json
    with_subject(body["prefetch"]["conditions"], reference)
    response = client.post(SERVICE_URL, json=body)
    assert response.status_code == 200
    assert [c["summary"] for c in response.json["cards"]] == [c["summary"] for c in plain["cards"]]
