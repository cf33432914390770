"""No alert without evidence (issue 13): a trial's `card_requires` withholds every kind of
card until the record meets the criteria it names (met, not merely unknown)."""

from __future__ import annotations

import datetime
from dataclasses import replace

import pytest
from card_evaluations import criterion, evidence

from cds.cards import CardOptions, build_cards
from cds.trials.schema import CardRequirement

OPTIONS = CardOptions(eligible_soon=True, eligible_soon_days=60)
MISSING_CONDITIONS = {"key": "conditions", "resource_type": "Condition", "reason": "the FHIR server failed (503)"}


def _without_sle_evidence(evaluation: dict) -> dict:
    """The evaluation with I3 unknown (a lupus code not specific for SLE) and no I5 at all."""
    evaluation["criteria"][2] = criterion(
        "I3", "inclusion", "unknown", "SLE diagnosis",
        "lupus erythematosus recorded without 'systemic' (SNOMED CT 200936003): confirm SLE by ACR 1997 criteria",
        evidence=[evidence("Condition/le", "http://snomed.info/sct|200936003", "Lupus erythematosus (disorder)", "2001-09-21")],
    )
    return evaluation


def _kinds(as_of, ineligible_until, potentially_eligible) -> dict[str, dict]:
    """One evaluation per kind of card: candidate, may become a candidate, not fully checked."""
    return {
        "candidate": potentially_eligible,
        "soon": ineligible_until(as_of + datetime.timedelta(days=10)),
        "partial": {**potentially_eligible, "missing_data": [MISSING_CONDITIONS]},
    }


@pytest.mark.parametrize("kind", ["candidate", "soon", "partial"])
def test_with_the_evidence_every_kind_of_card_is_shown(as_of, trial, potentially_eligible, ineligible_until, kind):
    evaluation = _kinds(as_of, ineligible_until, potentially_eligible)[kind]
    assert len(build_cards([(trial, evaluation)], as_of, OPTIONS)) == 1


@pytest.mark.parametrize("kind", ["candidate", "soon", "partial"])
def test_without_the_evidence_no_kind_of_card_is_shown(as_of, trial, potentially_eligible, ineligible_until, kind):
    evaluation = _without_sle_evidence(_kinds(as_of, ineligible_until, potentially_eligible)[kind])
    assert build_cards([(trial, evaluation)], as_of, OPTIONS) == []


def test_unknown_is_not_met(as_of, trial, potentially_eligible):
    """The SLE diagnosis to confirm plus an unknown serology: still no evidence."""
    evaluation = _without_sle_evidence(potentially_eligible)
    evaluation["criteria"].append(criterion("I5", "inclusion", "unknown", "Positive ANA or anti-dsDNA", "no ANA/anti-dsDNA result"))
    assert build_cards([(trial, evaluation)], as_of, OPTIONS) == []


def test_any_one_of_the_criteria_is_enough(as_of, trial, potentially_eligible):
    """A lupus code not specific for SLE with a positive ANA: the case a rheumatologist would review."""
    evaluation = _without_sle_evidence(potentially_eligible)
    evaluation["criteria"].append(criterion(
        "I5", "inclusion", "met", "Positive ANA or anti-dsDNA", "ANA/anti-dsDNA positive: Positive on 2026-06-01",
        evidence=[evidence("Observation/ana", "http://loinc.org|8061-4", "Positive", "2026-06-01")],
    ))
    (card,) = build_cards([(trial, evaluation)], as_of, OPTIONS)
    assert "- **Positive ANA or anti-dsDNA**: Positive, 2026-06-01" in card["detail"]


def test_all_met_needs_every_criterion(as_of, trial, potentially_eligible):
    both = replace(trial, card_requires=CardRequirement(all_met=("I2", "I3"), why="age and diagnosis"))
    assert len(build_cards([(both, potentially_eligible)], as_of, OPTIONS)) == 1
    potentially_eligible["criteria"][1]["status"] = "unknown"  # age unknown (partial birth date)
    assert build_cards([(both, potentially_eligible)], as_of, OPTIONS) == []


def test_a_trial_without_a_gate_shows_its_card_on_no_evidence(as_of, trial, potentially_eligible):
    evaluation = _without_sle_evidence(potentially_eligible)
    (card,) = build_cards([(replace(trial, card_requires=None), evaluation)], as_of, OPTIONS)
    assert "- **SLE diagnosis** (to confirm): Lupus erythematosus (disorder), 2001-09-21" in card["detail"]
