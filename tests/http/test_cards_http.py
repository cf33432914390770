"""Cards as a client receives them: spec invariants, and the evaluation the CLI prints."""

from __future__ import annotations

import json

import orjson
import pytest
from cds_invariants import assert_valid_card
from click.testing import CliRunner
from hook_settings import AS_OF, SERVICE_URL

from cds.cli import main
from cds.demo.requests import demo_resources


@pytest.mark.parametrize(("name", "cards"), [("eligible", 1), ("ineligible", 0), ("washout", 1)])
def test_demo_patients_get_the_expected_number_of_valid_cards(demo_trial_client, hook_request, name, cards):
    response = demo_trial_client.post(SERVICE_URL, json=hook_request(name))
    assert response.status_code == 200
    assert len(response.json["cards"]) == cards
    for card in response.json["cards"]:
        assert_valid_card(card)


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
