"""Every card the service returns for the 122 public patients of ../shared/data/external and
the demo patients (issue 13, "Done when"), each sent as a patient-view call with full
prefetch, at the README's date, to the service as it ships and to the same service with
every trial's evidence gate (`card_requires`) taken out (bench/card_counts.py builds both).

The public data holds no patient with a coded SLE diagnosis or a positive ANA, so the
service as it ships gives them no card: the cards of the second service are the ones
whose text is checked, and the difference is the gate at work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from card_checks import assert_readable_card
from cds_invariants import assert_valid_card
from fhir.resources.R4B.communicationrequest import CommunicationRequest
from fhir.resources.R4B.servicerequest import ServiceRequest

from bench.card_counts import (
    AS_OF,
    EXTERNAL,
    SERVICE_URL,
    PatientCall,
    demo_calls,
    external_calls,
    service_app,
    ungated_copy,
)
from cds.cards import EVALUATION_EXTENSION
from cds.http.routes import EXTENSION_KEY
from cds.trials.loader import TRIALS_DIR, load_trials

EXTERNAL_PATIENTS = 122
CARD_MODELS = {"ServiceRequest": ServiceRequest, "CommunicationRequest": CommunicationRequest}


def _answers(app, calls: list[PatientCall]) -> dict[str, list[dict[str, Any]]]:
    client = app.test_client()
    answers = {}
    for call in calls:
        response = client.post(SERVICE_URL, json=call.request)
        assert response.status_code == 200, (call.label, response.get_data(as_text=True))
        answers[call.label] = response.json["cards"]
    return answers


@pytest.fixture(scope="module")
def runs(external_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The calls, and the cards of each call from the gated and the ungated service."""
    workdir = tmp_path_factory.mktemp("card-runs")
    https = {"PUBLIC_BASE_URL": "https://trialcds.example.org"}
    gated = service_app(TRIALS_DIR, AS_OF, workdir, **https)
    ungated = service_app(ungated_copy(TRIALS_DIR, workdir / "ungated"), AS_OF, workdir, **https)
    calls = [*external_calls(external_data, gated.extensions[EXTENSION_KEY].templates), *demo_calls(AS_OF)]
    return {"calls": calls, "gated": _answers(gated, calls), "ungated": _answers(ungated, calls)}


def _cards(answers: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [card for cards in answers.values() for card in cards]


def test_every_external_patient_is_called(runs):
    assert sum(call.patient_set == EXTERNAL for call in runs["calls"]) == EXTERNAL_PATIENTS


def test_the_ungated_service_cards_external_patients(runs):
    """So the checks below read real-world cards, not only the demo's."""
    external = [call.label for call in runs["calls"] if call.patient_set == EXTERNAL]
    assert sum(len(runs["ungated"][label]) for label in external) >= 5


@pytest.mark.parametrize("run", ["gated", "ungated"])
def test_every_card_reads_in_two_seconds(runs, run):
    cards = _cards(runs[run])
    assert cards
    for card in cards:
        assert_valid_card(card)
        assert_readable_card(card)


@pytest.mark.parametrize("run", ["gated", "ungated"])
def test_every_suggested_resource_is_valid_fhir_r4_with_the_user_as_requester(runs, run):
    users = {call.label: call.request["context"]["userId"] for call in runs["calls"]}
    found = set()
    for label, cards in runs[run].items():
        for card in cards:
            for suggestion in card.get("suggestions", []):
                for action in suggestion["actions"]:
                    resource = action["resource"]
                    validated = CARD_MODELS[resource["resourceType"]].model_validate(resource)
                    assert validated.requester.reference == users[label]
                    found.add(resource["resourceType"])
    assert found == set(CARD_MODELS)


def _dead(call: PatientCall) -> bool:
    patient = call.request["prefetch"]["patient"]
    return patient.get("deceasedBoolean") is True or str(patient.get("deceasedDateTime", "9999")) <= AS_OF.isoformat()


@pytest.mark.parametrize("run", ["gated", "ungated"])
def test_no_deceased_patient_gets_any_card(runs, run):
    dead = [call.label for call in runs["calls"] if _dead(call)]
    assert len(dead) >= 18  # the SMART sample's deceased patients, and the README's generated one
    assert {label: runs[run][label] for label in dead if runs[run][label]} == {}


@pytest.mark.parametrize("run", ["gated", "ungated"])
def test_a_computable_exclusion_never_gives_a_candidate_card(runs, run):
    for card in _cards(runs[run]):
        evaluation = card["extension"][EVALUATION_EXTENSION]
        blocking = [c["id"] for c in evaluation["criteria"]
                    if c["status"] == ("not_met" if c["kind"] == "inclusion" else "met")]
        if "suggestions" in card and card["suggestions"][0]["actions"][0]["resource"]["resourceType"] == "ServiceRequest":
            assert evaluation["decision"] == "potentially_eligible" and blocking == []
        assert evaluation["not_candidate_reason"] is None
        # A "may become a candidate" card: every blocking criterion clears, on or before the date it gives.
        assert all(c["clears_on"] and c["clears_on"] <= (evaluation["eligible_from"] or "")
                   for c in evaluation["criteria"] if c["id"] in blocking)


def _evidence_met(card: dict[str, Any]) -> bool:
    evaluation = card["extension"][EVALUATION_EXTENSION]
    gate = load_trials()[evaluation["trial"]].card_requires
    return gate is None or gate.satisfied_by(frozenset(c["id"] for c in evaluation["criteria"] if c["status"] == "met"))


def test_the_gate_withholds_exactly_the_cards_without_evidence(runs):
    ungated = _cards(runs["ungated"])
    without = [card for card in ungated if not _evidence_met(card)]
    assert without, "the public data should hold patients carded on age and an NSAID alone"
    assert all(_evidence_met(card) for card in _cards(runs["gated"]))
    kept = {(label, card["extension"][EVALUATION_EXTENSION]["trial"])
            for label, cards in runs["ungated"].items() for card in cards if _evidence_met(card)}
    shown = {(label, card["extension"][EVALUATION_EXTENSION]["trial"])
             for label, cards in runs["gated"].items() for card in cards}
    assert shown == kept


def test_the_demo_patients_keep_their_cards(runs):
    demo = ("eligible", "washout", "missing-labs", "ineligible")

    def trials(run: str) -> dict[str, list[str]]:
        return {name: sorted(card["extension"][EVALUATION_EXTENSION]["trial"] for card in runs[run][name]) for name in demo}

    assert trials("gated") == trials("ungated")  # every demo card has its trial's evidence
    assert {name: found.count("nct05247203") for name, found in trials("gated").items()} == {
        "eligible": 1, "washout": 1, "missing-labs": 1, "ineligible": 0,
    }
