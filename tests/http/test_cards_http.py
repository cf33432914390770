"""Cards as a client receives them: spec invariants, and the evaluation the CLI prints."""

from __future__ import annotations

import copy
import json

import orjson
import pytest
from card_checks import assert_readable_card
from cds_invariants import assert_valid_card
from click.testing import CliRunner
from fhir.resources.R4B.communicationrequest import CommunicationRequest
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir_builders import condition
from hook_settings import AS_OF, SERVICE_URL, resources_of, searchset

from cds.cli import main
from cds.demo.requests import demo_resources


def assert_cards(response, count: int) -> None:
    """A 200 answer with `count` cards, each valid (CDS Hooks 2.0) and readable (issue 13)."""
    assert response.status_code == 200
    assert len(response.json["cards"]) == count
    for card in response.json["cards"]:
        assert_valid_card(card)
        assert_readable_card(card)


@pytest.mark.parametrize(("name", "cards"), [("eligible", 1), ("ineligible", 0), ("washout", 1)])
def test_demo_patients_get_the_expected_number_of_valid_cards(demo_trial_client, hook_request, name, cards):
    assert_cards(demo_trial_client.post(SERVICE_URL, json=hook_request(name)), cards)


def test_ineligible_patient_gets_an_empty_card_list(demo_trial_client, hook_request):
    assert demo_trial_client.post(SERVICE_URL, json=hook_request("ineligible")).json == {"cards": []}


def test_cards_have_fresh_uuids_per_call(client, hook_request):
    first = client.post(SERVICE_URL, json=hook_request()).json["cards"][0]
    second = client.post(SERVICE_URL, json=hook_request()).json["cards"][0]
    assert first["uuid"] != second["uuid"]


def test_patient_facing_view_gets_no_cards(client, hook_request, fhir):
    body = hook_request()
    body["context"]["userId"] = "Patient/demo-eligible"
    assert client.post(SERVICE_URL, json=body).json == {"cards": []}


@pytest.mark.parametrize("name", ["eligible", "washout"])
def test_card_evaluation_equals_the_cli_json(demo_trial_client, hook_request, tmp_path, name):
    (card,) = demo_trial_client.post(SERVICE_URL, json=hook_request(name)).json["cards"]
    resources = [r for group in demo_resources(name, AS_OF).values() for r in group]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(bundle))
    result = CliRunner().invoke(
        main, ["evaluate", str(path), "--trial", "nct05247203", "--as-of", AS_OF.isoformat(), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert card["extension"]["trialcds.evaluation"] == orjson.loads(result.output)


# A lupus problem-list entry as Synthea codes it: SNOMED CT 200936003 "Lupus erythematosus",
# not specifically systemic (the generated lupus patients of ../shared/data/external).
SYNTHEA_LUPUS = condition("snomed", "200936003", "Lupus erythematosus (disorder)", onset="2019-11-19", id="demo-eligible-le")


def _with_conditions(body: dict, conditions: list[dict]) -> dict:
    for resource in conditions:
        resource["subject"] = {"reference": "Patient/demo-eligible"}
    body["prefetch"]["conditions"] = searchset(conditions)
    return body


def _without_ana(body: dict) -> dict:
    observations = [r for r in resources_of(body["prefetch"]["observations"]) if r["id"] != "demo-eligible-ana"]
    body["prefetch"]["observations"] = searchset(observations)
    return body


@pytest.mark.parametrize(
    ("change", "cards"),
    [
        pytest.param(lambda body: body, 1, id="SLE coded and ANA positive"),
        pytest.param(_without_ana, 1, id="SLE coded, no ANA result"),
        pytest.param(lambda body: _with_conditions(body, [copy.deepcopy(SYNTHEA_LUPUS)]), 1,
                     id="lupus not coded as systemic, ANA positive"),
        pytest.param(lambda body: _without_ana(_with_conditions(body, [copy.deepcopy(SYNTHEA_LUPUS)])), 0,
                     id="lupus not coded as systemic, no ANA result"),
    ],
)
def test_a_card_needs_a_coded_sle_diagnosis_or_a_positive_ana(demo_trial_client, hook_request, change, cards):
    """NCT05247203's evidence gate (card_requires: I3 or I5 met) on the eligible demo patient's record."""
    assert_cards(demo_trial_client.post(SERVICE_URL, json=change(hook_request("eligible"))), cards)


def test_the_referral_is_requested_by_the_user_of_the_hook_context(demo_trial_client, hook_request):
    body = hook_request("eligible")
    body["context"]["userId"] = "PractitionerRole/rheum-clinic-3"
    (card,) = demo_trial_client.post(SERVICE_URL, json=body).json["cards"]
    referral = ServiceRequest.model_validate(card["suggestions"][0]["actions"][0]["resource"])
    assert referral.requester.reference == "PractitionerRole/rheum-clinic-3"
    assert str(referral.authoredOn) == AS_OF.isoformat()


def test_without_a_user_in_context_the_referral_has_no_requester(demo_trial_client, hook_request):
    body = hook_request("eligible")
    del body["context"]["userId"]
    (card,) = demo_trial_client.post(SERVICE_URL, json=body).json["cards"]
    referral = ServiceRequest.model_validate(card["suggestions"][0]["actions"][0]["resource"])
    assert referral.requester is None
    assert referral.note[-1].text.startswith("Requester not set")


def test_the_washout_card_suggests_a_reminder_on_the_day_the_washout_clears(demo_trial_client, hook_request):
    (card,) = demo_trial_client.post(SERVICE_URL, json=hook_request("washout")).json["cards"]
    reminder = CommunicationRequest.model_validate(card["suggestions"][0]["actions"][0]["resource"])
    assert str(reminder.occurrenceDateTime) == card["extension"]["trialcds.evaluation"]["eligible_from"] == "2026-07-04"
    assert [r.reference for r in reminder.recipient] == ["Practitioner/demo-practitioner"]
