"""Cards built from evaluation JSON: content, wording and when a card is shown."""

from __future__ import annotations

import copy
import datetime
import uuid

import pytest
from fhir.resources.R4B.servicerequest import ServiceRequest

from cds.cards import EVALUATION_EXTENSION, CardOptions, build_cards

DEFAULT_OPTIONS = CardOptions(eligible_soon=True, eligible_soon_days=60)
LAUNCH_URL = "https://trialcds.example.org/worksheet/launch"


def test_candidate_card_summarises_trial_and_items_to_confirm(as_of, trial, potentially_eligible):
    (card,) = build_cards([(trial, potentially_eligible)], as_of, DEFAULT_OPTIONS)
    assert card["summary"] == "Possible candidate for NCT05247203 (telitacicept, SLE): 2 items to confirm"
    assert len(card["summary"]) < 140
    assert card["indicator"] == "info"
    assert str(uuid.UUID(card["uuid"])) == card["uuid"]
    assert card["source"]["url"] == trial.url and card["source"]["label"]
    assert card["links"] == [
        {"label": "Open the eligibility worksheet", "url": DEFAULT_OPTIONS.worksheet_launch_url, "type": "smart"},
        {"label": "NCT05247203 on ClinicalTrials.gov", "url": trial.url, "type": "absolute"},
    ]
    assert {reason["code"] for reason in card["overrideReasons"]} == {
        "already-screened",
        "patient-not-interested",
        "not-clinically-appropriate",
    }
    assert all(reason["display"] for reason in card["overrideReasons"])


def test_candidate_card_detail_shows_evidence_and_items_to_confirm(as_of, trial, potentially_eligible):
    (card,) = build_cards([(trial, potentially_eligible)], as_of, DEFAULT_OPTIONS)
    detail = card["detail"]
    met_part, confirm_part = detail.split("**To confirm at screening**")
    assert "**I3**" in met_part and "2019-03-02" in met_part and "Condition/sle-1" in met_part
    assert "E3.4" in met_part  # an exclusion not found is listed as clear
    assert "**I1**" in confirm_part and "**E16**" in confirm_part
    assert "I3" not in confirm_part


def test_candidate_card_detail_shows_the_three_most_recent_evidence_items(as_of, trial, potentially_eligible):
    evaluation = copy.deepcopy(potentially_eligible)
    ana_results = [
        {"reference": f"Observation/ana-{year}", "code": "http://loinc.org|8061-4", "value": "Positive", "date": f"{year}-01-10"}
        for year in (2021, 2024, 2019, 2025, 2022)
    ]
    evaluation["criteria"][1]["evidence"] = ana_results
    (card,) = build_cards([(trial, evaluation)], as_of, DEFAULT_OPTIONS)
    (i3_line,) = [line for line in card["detail"].splitlines() if line.startswith("- **I3**")]
    assert "Observation/ana-2024" in i3_line and "Observation/ana-2025" in i3_line and "Observation/ana-2022" in i3_line
    assert "ana-2019" not in i3_line and "ana-2021" not in i3_line
    assert i3_line.index("ana-2024") < i3_line.index("ana-2025") < i3_line.index("ana-2022")  # the evaluation's order
    assert i3_line.endswith("; and 2 more in the evaluation")
    assert card["extension"][EVALUATION_EXTENSION]["criteria"][1]["evidence"] == ana_results


def test_candidate_card_carries_the_evaluation_unchanged(as_of, trial, potentially_eligible):
    (card,) = build_cards([(trial, potentially_eligible)], as_of, DEFAULT_OPTIONS)
    assert card["extension"] == {EVALUATION_EXTENSION: potentially_eligible}


def test_candidate_card_suggests_one_valid_referral(as_of, trial, potentially_eligible):
    (card,) = build_cards([(trial, potentially_eligible)], as_of, DEFAULT_OPTIONS)
    assert card["selectionBehavior"] == "at-most-one"
    (suggestion,) = card["suggestions"]
    uuid.UUID(suggestion["uuid"])
    assert suggestion["uuid"] != card["uuid"]
    (action,) = suggestion["actions"]
    assert action["type"] == "create" and action["description"]
    referral = ServiceRequest.model_validate(action["resource"])
    assert referral.subject.reference == "Patient/demo-eligible"
    assert referral.status == "draft" and referral.intent == "proposal"
    assert "NCT05247203" in referral.code.text


def test_markdown_in_criterion_text_is_shown_literally(as_of, trial, potentially_eligible):
    potentially_eligible["criteria"][0]["statement"] = "consent *signed* [form]"
    (card,) = build_cards([(trial, potentially_eligible)], as_of, DEFAULT_OPTIONS)
    assert r"consent \*signed\* \[form\]" in card["detail"]


def test_summary_stays_under_140_characters_with_a_long_trial_name(as_of, trial, potentially_eligible):
    long_trial = type(trial)(short_title="x" * 200)
    (card,) = build_cards([(long_trial, potentially_eligible)], as_of, DEFAULT_OPTIONS)
    assert len(card["summary"]) < 140


@pytest.mark.parametrize("days_ahead", [1, 30, 60])
def test_ineligible_patient_who_clears_soon_gets_an_info_card(as_of, trial, ineligible_until, days_ahead):
    day = as_of + datetime.timedelta(days=days_ahead)
    (card,) = build_cards([(trial, ineligible_until(day))], as_of, DEFAULT_OPTIONS)
    assert card["indicator"] == "info"
    assert card["summary"] == f"NCT05247203 (telitacicept, SLE): may become a candidate from {day.isoformat()}"
    assert f"clears on {day.isoformat()}" in card["detail"] and "**E8**" in card["detail"]
    assert "suggestions" not in card


def test_ineligible_patient_who_clears_later_than_the_window_gets_no_card(as_of, trial, ineligible_until):
    day = as_of + datetime.timedelta(days=61)
    assert build_cards([(trial, ineligible_until(day))], as_of, DEFAULT_OPTIONS) == []


def test_eligible_soon_card_can_be_switched_off(as_of, trial, ineligible_until):
    day = as_of + datetime.timedelta(days=10)
    options = CardOptions(eligible_soon=False, eligible_soon_days=60)
    assert build_cards([(trial, ineligible_until(day))], as_of, options) == []


def test_ineligible_patient_without_eligible_from_gets_no_card(as_of, trial, ineligible_for_good):
    assert build_cards([(trial, ineligible_for_good)], as_of, DEFAULT_OPTIONS) == []


@pytest.mark.parametrize("days_ahead", [None, 19])
def test_every_card_links_to_the_worksheet_as_a_smart_app(as_of, trial, potentially_eligible, ineligible_until, days_ahead):
    """Issue 13: the card's `smart` link launches the eligibility worksheet (CDS Hooks 2.0 §Link)."""
    evaluation = potentially_eligible if days_ahead is None else ineligible_until(as_of + datetime.timedelta(days=days_ahead))
    options = CardOptions(eligible_soon=True, eligible_soon_days=60, worksheet_launch_url=LAUNCH_URL)
    (card,) = build_cards([(trial, evaluation)], as_of, options)
    smart = [link for link in card["links"] if link["type"] == "smart"]
    assert smart == [{"label": "Open the eligibility worksheet", "url": LAUNCH_URL, "type": "smart"}]
    assert "appContext" not in smart[0]


MISSING_LABS = {
    "key": "observations",
    "resource_type": "Observation",
    "reason": "the service's budget of 4.5 s for this call ran out after 3 pages of 9",
}


def test_partial_record_gives_a_card_that_names_the_missing_data_and_refers_no_one(
    as_of, trial, potentially_eligible
):
    evaluation = {**potentially_eligible, "missing_data": [MISSING_LABS]}
    (card,) = build_cards([(trial, evaluation)], as_of, DEFAULT_OPTIONS)
    assert card["summary"] == "NCT05247203 (telitacicept, SLE): not fully checked, could not get lab results"
    assert card["detail"].startswith("**Not fully checked.**")
    assert f"- lab results (prefetch `observations`): {MISSING_LABS['reason']}" in card["detail"]
    assert "**To confirm at screening**" in card["detail"]
    assert "suggestions" not in card and "selectionBehavior" not in card
    assert card["extension"][EVALUATION_EXTENSION] == evaluation


def test_partial_record_never_gives_the_may_become_a_candidate_card(as_of, trial, ineligible_until):
    evaluation = {**ineligible_until(as_of + datetime.timedelta(days=10)), "missing_data": [MISSING_LABS]}
    assert build_cards([(trial, evaluation)], as_of, DEFAULT_OPTIONS) == []


def test_summary_of_a_partial_record_stays_under_140_characters(as_of, trial, potentially_eligible):
    every_type = ["Condition", "Observation", "MedicationStatement", "MedicationRequest", "MedicationAdministration",
                  "Procedure", "Immunization", "AllergyIntolerance"]
    gaps = [{**MISSING_LABS, "key": t.lower(), "resource_type": t} for t in every_type]
    (card,) = build_cards([(trial, {**potentially_eligible, "missing_data": gaps})], as_of, DEFAULT_OPTIONS)
    assert len(card["summary"]) < 140
