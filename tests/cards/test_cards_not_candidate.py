"""An evaluation that says the patient is no candidate at all (`not_candidate_reason`,
e.g. "deceased") never becomes a card, whatever else it carries."""

from __future__ import annotations

import datetime

from cds.cards import CardOptions, build_cards

OPTIONS = CardOptions(eligible_soon=True, eligible_soon_days=60)


def test_no_card_for_a_deceased_patient_whatever_the_rest_says(as_of, trial, potentially_eligible, ineligible_until):
    soon = ineligible_until(as_of + datetime.timedelta(days=10))
    assert len(build_cards([(trial, potentially_eligible), (trial, soon)], as_of, OPTIONS)) == 2  # alive: two cards
    for evaluation in (potentially_eligible, soon):
        evaluation["not_candidate_reason"] = "deceased"
    assert build_cards([(trial, potentially_eligible), (trial, soon)], as_of, OPTIONS) == []
