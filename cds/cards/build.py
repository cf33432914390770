"""Trial results -> CDS Hooks cards (CDS Hooks 2.0 §Card Attributes): which card, if any,
each trial gets, and what it says.

Three kinds of card, one per trial at most:
- "Possible candidate": nothing computable excludes the patient; suggests the referral.
- "Not fully checked": the same, but some data could not be had; suggests nothing.
- "May become a candidate from …": only criteria that clear with time block, soon;
  suggests a dated reminder.

No card without evidence: a trial's `card_requires` names the criteria that must be met
(not merely unknown) before any of them is shown. The card's detail is the strongest
facts in words with their dates, a count of what is left to confirm, then the next step;
the full evaluation is in the card's extension.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cds.cards.actions import clinician, referral, reminder
from cds.cards.model import (
    EVALUATION_EXTENSION,
    POTENTIALLY_ELIGIBLE,
    Card,
    CardOptions,
    Evaluation,
    TrialInfo,
    blocking,
    met_ids,
    settings,
    to_confirm,
)
from cds.cards.wording import (
    SHORT_TITLE,
    blocker_line,
    confirm_sentence,
    facts_section,
    fitted_summary,
    missing_labels,
    plural,
    strongest_facts,
)


@dataclass(frozen=True)
class CardCall:
    """What the cards of one hook call share: the options, the uuid source and the user."""

    options: CardOptions
    new_uuid: Callable[[], str]
    # The clinician who opened the record (context.userId), when it names a practitioner.
    user: str | None


def _detail(*sections: str | None) -> str:
    return "\n\n".join(section for section in sections if section)


def _common(trial: TrialInfo, evaluation: Evaluation, call: CardCall) -> Card:
    chosen = settings()
    reasons = chosen["override_reasons"]
    return {
        "uuid": call.new_uuid(),
        "indicator": "info",
        "source": {"label": chosen["source_label"], "url": trial.url, "topic": dict(chosen["topic"])},
        "links": [
            # CDS Hooks 2.0 §Link: a SMART app link; the EHR appends iss and launch.
            {"label": "Open the eligibility worksheet", "url": call.options.worksheet_launch_url, "type": "smart"},
            {"label": f"{trial.nct_id} on ClinicalTrials.gov", "url": trial.url, "type": "absolute"},
        ],
        "overrideReasons": [
            {"system": reasons["system"], "code": r["code"], "display": r["display"]} for r in reasons["codes"]
        ],
        "extension": {EVALUATION_EXTENSION: evaluation},
    }


def _suggest(card: Card, call: CardCall, label: str, description: str, resource: dict[str, Any]) -> None:
    """Give the card its one suggestion: create `resource` (CDS Hooks 2.0 §Suggestion, §Action).

    One suggestion, so "at-most-one" (cds-resp-6: suggestions need a selectionBehavior)."""
    card["selectionBehavior"] = "at-most-one"
    card["suggestions"] = [
        {
            "label": label,
            "uuid": call.new_uuid(),
            "actions": [{"type": "create", "description": description, "resource": resource}],
        }
    ]


def candidate_card(trial: TrialInfo, evaluation: Evaluation, call: CardCall) -> Card:
    """The card for a potentially eligible patient, with a referral suggestion."""
    count = len(to_confirm(evaluation))
    items = f"{plural(count, 'item')} to confirm" if count else "nothing left to confirm"
    facts = strongest_facts(evaluation, trial.card_requires)
    card = _common(trial, evaluation, call)
    card["summary"] = fitted_summary(f"Possible candidate for clinical trial {trial.nct_id} ({SHORT_TITLE}): {items}", trial.short_title)
    card["detail"] = _detail(
        facts_section(facts),
        f"No exclusion found (checked {evaluation['as_of']}). {confirm_sentence(evaluation)}",
        "**Next:** refer to the study team for screening; the eligibility worksheet lists every criterion.",
    )
    _suggest(
        card, call, f"Refer to the {trial.nct_id} study team for screening",
        f"Create a draft referral to the {trial.nct_id} study team", referral(trial, evaluation, facts, call.user),
    )
    return card


def incomplete_card(trial: TrialInfo, evaluation: Evaluation, call: CardCall) -> Card:
    """The card for a patient nothing computable excludes, when some data could not be had.

    It says which data is missing (why, for the operator, is in the evaluation and the
    log), what the record shows and how much is left to confirm, every criterion that
    needs the missing data among it; it suggests no referral: the service did not see the
    whole record.
    """
    labels = ", ".join(missing_labels(evaluation))
    card = _common(trial, evaluation, call)
    card["summary"] = fitted_summary(
        f"Clinical trial {trial.nct_id} ({SHORT_TITLE}): not fully checked, could not get {labels}", trial.short_title
    )
    card["detail"] = _detail(
        f"**Not fully checked:** could not get the patient's {labels}, so every criterion that needs "
        "them is left to confirm, and no referral is suggested.",
        facts_section(strongest_facts(evaluation, trial.card_requires)),
        f"No exclusion found in what could be read (checked {evaluation['as_of']}). {confirm_sentence(evaluation)}",
        "**Next:** open the eligibility worksheet: it lists every criterion and what could not be read.",
    )
    return card


def eligible_soon_card(trial: TrialInfo, evaluation: Evaluation, call: CardCall) -> Card:
    """The card for an ineligible patient whose blocking criteria clear soon, with a dated reminder."""
    day = evaluation["eligible_from"]
    card = _common(trial, evaluation, call)
    card["summary"] = fitted_summary(
        f"May become a candidate for clinical trial {trial.nct_id} ({SHORT_TITLE}) from {day}", trial.short_title
    )
    card["detail"] = _detail(
        f"**Not a candidate before {day}**\n\n" + "\n".join(blocker_line(c) for c in blocking(evaluation)),
        facts_section(strongest_facts(evaluation, trial.card_requires)),
        confirm_sentence(evaluation),
        f"**Next:** set a reminder for {day}; the eligibility worksheet lists every criterion.",
    )
    _suggest(
        card, call, f"Remind me on {day} to check {trial.nct_id} again",
        f"Create a reminder for {day} to check the patient for {trial.nct_id} again", reminder(trial, evaluation, call.user),
    )
    return card


def has_evidence(trial: TrialInfo, evaluation: Evaluation) -> bool:
    """Whether the record meets the criteria the trial asks for before any card (`card_requires`);
    a trial that asks for none always has."""
    return trial.card_requires is None or trial.card_requires.satisfied_by(met_ids(evaluation))


def _eligible_soon(evaluation: Evaluation, as_of: datetime.date, options: CardOptions) -> bool:
    if not options.eligible_soon or not evaluation.get("eligible_from"):
        return False
    days = (datetime.date.fromisoformat(evaluation["eligible_from"]) - as_of).days
    return 0 < days <= options.eligible_soon_days


def build_cards(
    results: Iterable[tuple[TrialInfo, Evaluation]],
    as_of: datetime.date,
    options: CardOptions,
    new_uuid: Callable[[], str] = lambda: str(uuid.uuid4()),
    user_id: object = None,
) -> list[Card]:
    """One card per trial the patient may join, or may join soon; none otherwise, none for a
    patient who is no candidate at all (`not_candidate_reason`, e.g. deceased), and none
    without the evidence the trial asks for (`card_requires`).

    When some data could not be had (`missing_data`), a patient nothing computable
    excludes gets the card that says so instead of a candidate card, and no other
    patient gets a card (not even "may become a candidate": the record seen was partial).
    `user_id` is the hook's context.userId: the requester of what the cards suggest when it
    names a practitioner.
    """
    call = CardCall(options, new_uuid, clinician(user_id))
    cards: list[Card] = []
    for trial, evaluation in results:
        if evaluation.get("not_candidate_reason") or not has_evidence(trial, evaluation):
            continue
        if evaluation.get("missing_data"):
            if evaluation["decision"] == POTENTIALLY_ELIGIBLE:
                cards.append(incomplete_card(trial, evaluation, call))
        elif evaluation["decision"] == POTENTIALLY_ELIGIBLE:
            cards.append(candidate_card(trial, evaluation, call))
        elif _eligible_soon(evaluation, as_of, options):
            cards.append(eligible_soon_card(trial, evaluation, call))
    return cards
