"""Cards built from evaluation JSON: what a clinician reads in two seconds, and when a card is shown.

Issue 13: the summary says what and which trial in plain words; the detail shows the
strongest facts in words with their dates, how many items are left to confirm (a count,
not the list), then the next step; labels, never criterion ids; no FHIR reference; no line
that repeats the reason; the full evaluation stays in the extension.
"""

from __future__ import annotations

import copy
import datetime
import uuid

import pytest
from card_checks import assert_readable_detail
from card_evaluations import criterion, evidence

from cds.cards import EVALUATION_EXTENSION, CardOptions, build_cards

DEFAULT_OPTIONS = CardOptions(eligible_soon=True, eligible_soon_days=60)
LAUNCH_URL = "https://trialcds.example.org/worksheet/launch"


def test_candidate_card_summary_names_the_trial_in_words_and_the_items_to_confirm(as_of, trial, potentially_eligible):
    (card,) = build_cards([(trial, potentially_eligible)], as_of, DEFAULT_OPTIONS)
    assert card["summary"] == "Possible candidate for clinical trial NCT05247203 (telitacicept, SLE): 3 items to confirm"
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


def test_candidate_card_detail_is_facts_with_dates_then_a_count_then_the_next_step(as_of, trial, potentially_eligible):
    (card,) = build_cards([(trial, potentially_eligible)], as_of, DEFAULT_OPTIONS)
    assert card["detail"] == (
        "**In the record**\n\n"
        "- **SLE diagnosis**: Systemic lupus erythematosus (active), 2019-03-02\n"
        "- **Age 18 to 65**: age 35 at 2026-06-15 (within 18-65)\n\n"
        "No exclusion found (checked 2026-06-15). **3 items to confirm at screening:** "
        "2 to ask the patient or investigator, 1 not settled by the record.\n\n"
        "**Next:** refer to the study team for screening; the eligibility worksheet lists every criterion."
    )
    assert_readable_detail(card["detail"], potentially_eligible)


def test_a_fact_is_the_most_recent_evidence_and_how_many_more_there_are(as_of, trial, potentially_eligible):
    ana = criterion("I5", "inclusion", "met", "Positive ANA or anti-dsDNA", "ANA/anti-dsDNA positive: Positive on 2025-01-10",
                    evidence=[evidence(f"Observation/ana-{year}", "http://loinc.org|8061-4", "Positive", f"{year}-01-10")
                              for year in (2021, 2025, 2019)])
    potentially_eligible["criteria"].insert(3, ana)
    (card,) = build_cards([(trial, potentially_eligible)], as_of, DEFAULT_OPTIONS)
    assert "- **Positive ANA or anti-dsDNA**: Positive, 2025-01-10 (and 2 more)\n" in card["detail"]
    assert "ana-2025" not in card["detail"]  # no FHIR reference
    assert card["extension"][EVALUATION_EXTENSION]["criteria"][3]["evidence"] == ana["evidence"]


def test_evidence_that_holds_its_date_in_its_value_is_not_dated_twice(as_of, trial, potentially_eligible):
    regimen = criterion("I6", "inclusion", "met", "Stable SLE treatment for 30 days",
                        "on hydroxychloroquine since at least 30 days before 2026-06-15",
                        evidence=[evidence("MedicationRequest/hcq", "http://www.nlm.nih.gov/research/umls/rxnorm|979092",
                                           "Hydroxychloroquine Sulfate 200 MG Oral Tablet (2025-06-15 to ongoing, 400 mg/day)",
                                           "2025-06-15")])
    potentially_eligible["criteria"].insert(3, regimen)
    (card,) = build_cards([(trial, potentially_eligible)], as_of, DEFAULT_OPTIONS)
    line = "- **Stable SLE treatment for 30 days**: Hydroxychloroquine Sulfate 200 MG Oral Tablet (2025-06-15 to ongoing, 400 mg/day)\n"
    assert line in card["detail"]
    assert "since at least 30 days" not in card["detail"]  # the evidence is shown, not also the reason


def test_the_gate_criteria_come_first_and_at_most_three_facts_are_shown(as_of, trial, potentially_eligible):
    """Age and the regimen are weaker evidence than the SLE diagnosis and the serology the trial asks for."""
    criteria = potentially_eligible["criteria"]
    criteria.insert(3, criterion("I6", "inclusion", "met", "Stable SLE treatment for 30 days", "on naproxen",
                                 evidence=[evidence("MedicationRequest/n", "rxnorm|849574", "Naproxen sodium 220 MG Oral Tablet (2020-01-01 to ongoing)", "2020-01-01")]))
    criteria.insert(4, criterion("I5", "inclusion", "met", "Positive ANA or anti-dsDNA", "ANA positive",
                                 evidence=[evidence("Observation/ana", "http://loinc.org|8061-4", "Positive", "2026-06-01")]))
    (card,) = build_cards([(trial, potentially_eligible)], as_of, DEFAULT_OPTIONS)
    facts = [line.split("**")[1] for line in card["detail"].splitlines() if line.startswith("- **")]
    assert facts == ["SLE diagnosis", "Positive ANA or anti-dsDNA", "Stable SLE treatment for 30 days"]


def test_a_gate_criterion_the_record_points_to_is_shown_as_to_confirm(as_of, trial, potentially_eligible):
    """A Synthea-coded 'lupus erythematosus' leaves the SLE diagnosis unknown; with a positive ANA the card shows both."""
    criteria = potentially_eligible["criteria"]
    criteria[2] = criterion("I3", "inclusion", "unknown", "SLE diagnosis",
                            "lupus erythematosus recorded without 'systemic' (SNOMED CT 200936003): confirm SLE by ACR 1997 criteria",
                            evidence=[evidence("Condition/le", "http://snomed.info/sct|200936003", "Lupus erythematosus (disorder) (active)", "2001-09-21")])
    criteria.insert(3, criterion("I5", "inclusion", "met", "Positive ANA or anti-dsDNA", "ANA positive",
                                 evidence=[evidence("Observation/ana", "http://loinc.org|8061-4", "Positive", "2026-06-01")]))
    (card,) = build_cards([(trial, potentially_eligible)], as_of, DEFAULT_OPTIONS)
    assert "- **Positive ANA or anti-dsDNA**: Positive, 2026-06-01\n- **SLE diagnosis** (to confirm): Lupus erythematosus (disorder) (active), 2001-09-21\n" in card["detail"]


def test_candidate_card_carries_the_evaluation_unchanged(as_of, trial, potentially_eligible):
    (card,) = build_cards([(trial, potentially_eligible)], as_of, DEFAULT_OPTIONS)
    assert card["extension"] == {EVALUATION_EXTENSION: potentially_eligible}


def test_markdown_in_labels_and_evidence_is_shown_literally(as_of, trial, potentially_eligible):
    potentially_eligible["criteria"][2]["label"] = "SLE *diagnosis* [ACR]"
    potentially_eligible["criteria"][2]["evidence"][0]["value"] = "SLE_code <b>"
    (card,) = build_cards([(trial, potentially_eligible)], as_of, DEFAULT_OPTIONS)
    assert r"- **SLE \*diagnosis\* \[ACR\]**: SLE\_code \<b\>, 2019-03-02" in card["detail"]


@pytest.mark.parametrize("days_ahead", [None, 19])
def test_summary_keeps_the_trial_id_and_the_end_when_the_short_title_is_long(as_of, trial, potentially_eligible, ineligible_until, days_ahead):
    long_trial = type(trial)(short_title="x" * 200)
    day = None if days_ahead is None else as_of + datetime.timedelta(days=days_ahead)
    evaluation = potentially_eligible if day is None else ineligible_until(day)
    (card,) = build_cards([(long_trial, evaluation)], as_of, DEFAULT_OPTIONS)
    assert len(card["summary"]) < 140
    assert "NCT05247203 (xxx" in card["summary"] and "x…)" in card["summary"]
    assert card["summary"].endswith("3 items to confirm" if day is None else f"from {day.isoformat()}")


@pytest.mark.parametrize("days_ahead", [1, 30, 60])
def test_ineligible_patient_who_clears_soon_gets_a_dated_card(as_of, trial, ineligible_until, days_ahead):
    day = (as_of + datetime.timedelta(days=days_ahead)).isoformat()
    evaluation = ineligible_until(as_of + datetime.timedelta(days=days_ahead))
    (card,) = build_cards([(trial, evaluation)], as_of, DEFAULT_OPTIONS)
    assert card["indicator"] == "info"
    assert card["summary"] == f"May become a candidate for clinical trial NCT05247203 (telitacicept, SLE) from {day}"
    assert card["detail"].startswith(
        f"**Not a candidate before {day}**\n\n"
        f"- **Live vaccine in the last 28 days**: zoster vaccine, live, 2026-06-05; clears on {day}\n\n"
        "**In the record**\n\n- **SLE diagnosis**: "
    )
    assert card["detail"].endswith(f"**Next:** set a reminder for {day}; the eligibility worksheet lists every criterion.")
    assert_readable_detail(card["detail"], evaluation)


def test_an_inclusion_that_becomes_met_says_from_when(as_of, trial, potentially_eligible):
    """A standard regimen started 20 days ago is met in 10 days (I6 with `clears_on`)."""
    day = (as_of + datetime.timedelta(days=10)).isoformat()
    evaluation = copy.deepcopy(potentially_eligible)
    evaluation.update(decision="ineligible", eligible_from=day)
    evaluation["criteria"].append(criterion(
        "I6", "inclusion", "not_met", "Stable SLE treatment for 30 days", "on hydroxychloroquine for 20 days, not 30",
        clears_on=day, evidence=[evidence("MedicationRequest/hcq", "rxnorm|979092", "Hydroxychloroquine 200 MG (2026-05-26 to ongoing)", "2026-05-26")],
    ))
    (card,) = build_cards([(trial, evaluation)], as_of, DEFAULT_OPTIONS)
    assert f"- **Stable SLE treatment for 30 days**: Hydroxychloroquine 200 MG (2026-05-26 to ongoing); met from {day}" in card["detail"]


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


def test_partial_record_gives_a_card_that_names_the_missing_data_in_words_and_refers_no_one(
    as_of, trial, potentially_eligible
):
    evaluation = {**potentially_eligible, "missing_data": [MISSING_LABS]}
    (card,) = build_cards([(trial, evaluation)], as_of, DEFAULT_OPTIONS)
    assert card["summary"] == "Clinical trial NCT05247203 (telitacicept, SLE): not fully checked, could not get lab results"
    assert card["detail"].startswith(
        "**Not fully checked:** could not get the patient's lab results, so every criterion that needs them is left "
        "to confirm, and no referral is suggested.\n\n**In the record**\n\n"
    )
    assert "**3 items to confirm at screening:**" in card["detail"]
    # Why it is missing is for the operator (the log, the evaluation, the worksheet), not the clinician.
    assert "budget" not in card["detail"] and "prefetch" not in card["detail"] and "observations" not in card["detail"]
    assert "suggestions" not in card and "selectionBehavior" not in card
    assert card["extension"][EVALUATION_EXTENSION] == evaluation
    assert_readable_detail(card["detail"], evaluation)


def test_partial_record_never_gives_the_may_become_a_candidate_card(as_of, trial, ineligible_until):
    evaluation = {**ineligible_until(as_of + datetime.timedelta(days=10)), "missing_data": [MISSING_LABS]}
    assert build_cards([(trial, evaluation)], as_of, DEFAULT_OPTIONS) == []


def test_summary_of_a_partial_record_stays_under_140_characters(as_of, trial, potentially_eligible):
    every_type = ["Condition", "Observation", "MedicationStatement", "MedicationRequest", "MedicationAdministration",
                  "Procedure", "Immunization", "AllergyIntolerance"]
    gaps = [{**MISSING_LABS, "key": t.lower(), "resource_type": t} for t in every_type]
    (card,) = build_cards([(trial, {**potentially_eligible, "missing_data": gaps})], as_of, DEFAULT_OPTIONS)
    assert len(card["summary"]) < 140 and card["summary"].startswith("Clinical trial NCT05247203 (")


def test_nothing_left_to_confirm_is_said_so(as_of, trial, potentially_eligible):
    potentially_eligible["criteria"] = [c for c in potentially_eligible["criteria"] if c["status"] != "unknown"]
    (card,) = build_cards([(trial, potentially_eligible)], as_of, DEFAULT_OPTIONS)
    assert card["summary"].endswith(": nothing left to confirm")
    assert "No exclusion found (checked 2026-06-15). Nothing left to confirm from the record." in card["detail"]
