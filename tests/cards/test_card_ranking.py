"""The cards of one answer: candidate cards first, the fewest items to confirm first, then
the earliest "may become a candidate" date, then the trial id; at most `limit` cards, the
trials left out named in the last card shown."""

from __future__ import annotations

import copy
import datetime
from dataclasses import replace
from typing import Any

import pytest

from cds.cards import EVALUATION_EXTENSION, CardOptions, build_cards, ranked_cards

OPTIONS = CardOptions(eligible_soon=True, eligible_soon_days=60)


Trial = Any  # the card-facing trial facts of tests/cards/conftest.py (cds.cards.TrialInfo)


@pytest.fixture
def trials(trial: Trial) -> list[Trial]:
    """Four trials, a to d, that differ from the fixture's trial only in id, NCT id and short title."""
    return [replace(trial, id=f"nct0000000{x}", nct_id=f"NCT0000000{x.upper()}", short_title=f"trial {x}") for x in "abcd"]


def _for(trial: Trial, evaluation: dict[str, Any], confirm_more: int = 0) -> tuple[Trial, dict[str, Any]]:
    """The evaluation, about `trial`, with `confirm_more` extra unknown criteria."""
    evaluation = copy.deepcopy(evaluation)
    evaluation["trial"] = trial.id
    for i in range(confirm_more):
        evaluation["criteria"].append({**evaluation["criteria"][0], "id": f"X{i}"})
    return trial, evaluation


def _order(cards: list[dict[str, Any]]) -> list[str]:
    return [card["extension"][EVALUATION_EXTENSION]["trial"] for card in cards]


def test_fewest_items_to_confirm_first_then_trial_id(as_of, trials, potentially_eligible):
    A, B, C, _ = trials
    results = [_for(C, potentially_eligible, 1), _for(B, potentially_eligible), _for(A, potentially_eligible)]
    cards = ranked_cards(build_cards(results, as_of, OPTIONS), [A, B, C], None)
    assert _order(cards) == ["nct0000000a", "nct0000000b", "nct0000000c"]


def test_candidates_come_before_patients_who_may_become_candidates(as_of, trials, potentially_eligible, ineligible_until):
    A, B, _, _ = trials
    soon = as_of + datetime.timedelta(days=10)
    results = [_for(A, ineligible_until(soon)), _for(B, potentially_eligible, 3)]
    cards = ranked_cards(build_cards(results, as_of, OPTIONS), [A, B], None)
    assert _order(cards) == ["nct0000000b", "nct0000000a"]


def test_of_two_who_may_become_candidates_the_earlier_date_first(as_of, trials, ineligible_until):
    A, B, _, _ = trials
    results = [_for(A, ineligible_until(as_of + datetime.timedelta(days=30))),
               _for(B, ineligible_until(as_of + datetime.timedelta(days=10)))]
    cards = ranked_cards(build_cards(results, as_of, OPTIONS), [A, B], None)
    assert _order(cards) == ["nct0000000b", "nct0000000a"]


def test_cards_beyond_the_limit_are_named_in_the_last_card_shown(as_of, trials, potentially_eligible, ineligible_until):
    A, B, C, D = trials
    soon = as_of + datetime.timedelta(days=10)
    results = [_for(A, potentially_eligible), _for(B, potentially_eligible, 1), _for(C, ineligible_until(soon)),
               _for(D, potentially_eligible, 2)]
    built = build_cards(results, as_of, OPTIONS)
    cards = ranked_cards(built, [A, B, C, D], 2)
    assert _order(cards) == ["nct0000000a", "nct0000000b"]
    assert cards[0] == next(card for card in built if card["uuid"] == cards[0]["uuid"])
    assert cards[1]["detail"] == (
        next(card for card in built if card["uuid"] == cards[1]["uuid"])["detail"]
        + f"\n\n**Also possible:** NCT0000000D (trial d); NCT0000000C (trial c) from {soon.isoformat()}"
    )


def test_no_more_cards_than_the_limit_are_left_as_they_are(as_of, trials, potentially_eligible):
    A, B, _, _ = trials
    built = build_cards([_for(A, potentially_eligible), _for(B, potentially_eligible)], as_of, OPTIONS)
    assert ranked_cards(built, [A, B], 2) == built


def test_trial_names_left_out_are_shown_literally_in_markdown(as_of, trials, potentially_eligible):
    A, B, _, _ = trials
    starred = replace(B, short_title="anti-*CD20*_trial")
    built = build_cards([_for(A, potentially_eligible), _for(starred, potentially_eligible, 1)], as_of, OPTIONS)
    (card,) = ranked_cards(built, [A, starred], 1)
    assert card["detail"].endswith("**Also possible:** NCT0000000B (anti-\\*CD20\\*\\_trial)")


def test_the_limit_comes_from_the_service_setting():
    assert CardOptions.from_config({"CARD_ELIGIBLE_SOON": True, "CARD_ELIGIBLE_SOON_DAYS": 60, "CARD_MAX": 3}).max_cards == 3
