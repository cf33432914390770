"""The order of one answer's cards, and the cap on how many are shown."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cds.cards.model import EVALUATION_EXTENSION, POTENTIALLY_ELIGIBLE, Card, Evaluation, TrialInfo, settings, to_confirm
from cds.cards.wording import md


def _rank(card: Card) -> tuple[int, int, str, str]:
    """Where a card goes in the answer: candidate cards before "may become a candidate"
    cards; then the fewest items to confirm; then the earliest date a card says the patient
    may become a candidate; then the trial id, so equal cards always come in one order."""
    evaluation = card["extension"][EVALUATION_EXTENSION]
    waits = evaluation["decision"] != POTENTIALLY_ELIGIBLE
    return int(waits), len(to_confirm(evaluation)), evaluation.get("eligible_from") or "", evaluation["trial"]


def _also_possible(trial: TrialInfo, evaluation: Evaluation) -> str:
    when = f" from {evaluation['eligible_from']}" if evaluation["decision"] != POTENTIALLY_ELIGIBLE else ""
    return f"{md(trial.nct_id)} ({md(trial.short_title)}){when}"


def ranked_cards(cards: Sequence[Card], trials: Iterable[TrialInfo], limit: int | None) -> list[Card]:
    """The cards in the order a clinician should read them, at most `limit` of them.

    The trials whose cards are left out are named, in the same order, at the end of the
    last card shown ("Also possible"), so no trial the patient may join goes unmentioned.
    """
    ordered = sorted(cards, key=_rank)
    if limit is None or len(ordered) <= limit:
        return ordered
    shown, left_out = ordered[:limit], ordered[limit:]
    by_id = {trial.id: trial for trial in trials}
    evaluations = [card["extension"][EVALUATION_EXTENSION] for card in left_out]
    names = "; ".join(_also_possible(by_id[e["trial"]], e) for e in evaluations)
    last = {**shown[-1], "detail": f"{shown[-1]['detail']}\n\n**{settings()['also_possible']}:** {names}"}
    return [*shown[:-1], last]
