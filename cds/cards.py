"""Trial results -> CDS Hooks cards (CDS Hooks 2.0 §Card Attributes).

Cards are built only from the evaluation JSON that `trialcds evaluate --format json`
prints, so the card and the CLI can never disagree. Wording and codes that are not
trial-specific live in cards.yaml; trial wording comes from the trial.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Protocol

import orjson
import yaml
from fhir.resources.R4B.servicerequest import ServiceRequest

from cds.worksheet.links import launch_url

Card = dict[str, Any]
Evaluation = dict[str, Any]
EVALUATION_EXTENSION = "trialcds.evaluation"
# Characters that change meaning in GitHub-Flavored Markdown inside a list item, each
# escaped with a backslash.
_MARKDOWN_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|~"})


class TrialInfo(Protocol):
    """What a card needs to know about a trial."""

    id: str
    nct_id: str
    title: str
    short_title: str
    url: str


@dataclass(frozen=True)
class CardOptions:
    """Deployment choices for cards."""

    eligible_soon: bool
    eligible_soon_days: int
    # The eligibility worksheet's SMART launch URL (the card's `smart` link).
    worksheet_launch_url: str = launch_url(None)
    # Most cards in one answer (`ranked_cards`); None: every card.
    max_cards: int | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CardOptions:
        """The options a checked app config (cds.config) sets."""
        return cls(
            config["CARD_ELIGIBLE_SOON"],
            config["CARD_ELIGIBLE_SOON_DAYS"],
            launch_url(config.get("PUBLIC_BASE_URL")),
            config["CARD_MAX"],
        )


@cache
def _settings() -> dict[str, Any]:
    text = resources.files("cds").joinpath("cards.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _md(text: str) -> str:
    """Escape text from data so Markdown shows it literally."""
    return text.translate(_MARKDOWN_ESCAPES)


def _limit(summary: str) -> str:
    limit = _settings()["summary_max_chars"]
    return summary if len(summary) <= limit else summary[: limit - 1].rstrip() + "…"


def _evidence_line(evidence: dict[str, Any]) -> str:
    value, date = evidence.get("value"), evidence.get("date")
    parts = [value, f"on {date}" if date and date != value else None]
    shown = " ".join(str(part) for part in parts if part)
    return f"{_md(shown)} ({_md(evidence['reference'])})" if shown else _md(evidence["reference"])


def _criterion_line(criterion: dict[str, Any], with_evidence: bool) -> str:
    statement = criterion.get("statement")
    about = f"{_md(statement)}: " if statement else ""
    line = f"- **{_md(criterion['id'])}** {about}{_md(criterion['reason'])}"
    if with_evidence and criterion.get("evidence"):
        shown, more = _recent_evidence(criterion["evidence"])
        line += "; evidence: " + "; ".join(_evidence_line(e) for e in shown)
        if more:
            line += f"; and {more} more in the evaluation"
    return line


def _recent_evidence(evidence: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The most recent items (up to the configured number), in their order, and how many are left out."""
    limit = _settings()["detail_evidence_per_criterion"]
    if len(evidence) <= limit:
        return evidence, 0
    newest = sorted(range(len(evidence)), key=lambda i: evidence[i].get("date") or "", reverse=True)[:limit]
    return [evidence[i] for i in sorted(newest)], len(evidence) - limit


def _favourable(criterion: dict[str, Any]) -> bool:
    """An inclusion that is met or an exclusion that is not."""
    wanted = "met" if criterion["kind"] == "inclusion" else "not_met"
    return criterion["status"] == wanted


def _to_confirm(evaluation: Evaluation) -> list[dict[str, Any]]:
    return [c for c in evaluation["criteria"] if c["status"] == "unknown"]


def _candidate_detail(evaluation: Evaluation) -> str:
    met = [c for c in evaluation["criteria"] if c["kind"] == "inclusion" and _favourable(c)]
    clear = [c["id"] for c in evaluation["criteria"] if c["kind"] == "exclusion" and _favourable(c)]
    confirm = _to_confirm(evaluation)
    sections = [f"Evaluated on {evaluation['as_of']} from the patient's record."]
    if met:
        sections.append("**Inclusion criteria met**\n\n" + "\n".join(_criterion_line(c, True) for c in met))
    if clear:
        sections.append("**No exclusion found in the record for:** " + ", ".join(_md(i) for i in clear))
    if confirm:
        sections.append("**To confirm at screening**\n\n" + "\n".join(_criterion_line(c, False) for c in confirm))
    return "\n\n".join(sections)


def _soon_detail(evaluation: Evaluation) -> str:
    blocking = [c for c in evaluation["criteria"] if not _favourable(c) and c["status"] != "unknown"]
    lines = [f"{_criterion_line(c, True)}; clears on {c['clears_on']}" for c in blocking]
    confirm = _to_confirm(evaluation)
    sections = [
        f"Evaluated on {evaluation['as_of']}: not eligible today, and may be from "
        f"{evaluation['eligible_from']} if nothing else changes.",
        "**Criteria that clear with time**\n\n" + "\n".join(lines),
    ]
    if confirm:
        sections.append("**Also to confirm at screening**\n\n" + "\n".join(_criterion_line(c, False) for c in confirm))
    return "\n\n".join(sections)


# What a referral says that is not the same for every patient of a trial: the subject
# and the list of criteria to confirm. The rest is validated once per trial (below).
_SUBJECT_SLOT = "Patient/subject-slot"
_NOTE_SLOT = "note-slot"


@cache
def _referral_template(nct_id: str, short_title: str, title: str, with_note: bool) -> bytes:
    """A trial's referral with slots for the subject and the note, validated as FHIR R4 once.

    Validating a whole ServiceRequest with fhir.resources cost ~1 ms per card, the
    largest single cost of a hook call after parsing (docs/performance.md). Only two
    strings change from patient to patient, and both go into FHIR `string` elements
    (Reference.reference, Annotation.text), so the validated shape holds for every card.

    :raise pydantic.ValidationError: the resource is not valid R4 (a bug, not input).
    """
    settings = _settings()["referral"]
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "status": settings["status"],
        "intent": settings["intent"],
        "category": [{"coding": [dict(settings["category"])]}],
        "code": {"text": f"Referral to the {nct_id} study team ({short_title}) for screening"},
        "subject": {"reference": _SUBJECT_SLOT},
        "reasonCode": [{"text": f"Possible candidate for clinical trial {nct_id} ({title})"}],
    }
    if with_note:
        resource["note"] = [{"text": _NOTE_SLOT}]
    return orjson.dumps(ServiceRequest.model_validate(resource).model_dump(mode="json", exclude_none=True))


def prepare_referrals(trials: Iterable[TrialInfo]) -> None:
    """Validate each trial's referral now, at start-up, rather than on its first card."""
    for trial in trials:
        for with_note in (False, True):
            _referral_template(trial.nct_id, trial.short_title, trial.title, with_note)


def referral(trial: TrialInfo, evaluation: Evaluation) -> dict[str, Any]:
    """A FHIR R4 ServiceRequest referring the patient to the study team (its shape validated)."""
    confirm = ", ".join(c["id"] for c in _to_confirm(evaluation))
    resource: dict[str, Any] = orjson.loads(
        _referral_template(trial.nct_id, trial.short_title, trial.title, bool(confirm))
    )
    resource["subject"]["reference"] = evaluation["patient"]
    if confirm:
        resource["note"][0]["text"] = f"To confirm at screening: {confirm}"
    return resource


def _common(trial: TrialInfo, evaluation: Evaluation, new_uuid: Callable[[], str], options: CardOptions) -> Card:
    settings = _settings()
    reasons = settings["override_reasons"]
    return {
        "uuid": new_uuid(),
        "indicator": "info",
        "source": {"label": settings["source_label"], "url": trial.url, "topic": dict(settings["topic"])},
        "links": [
            # CDS Hooks 2.0 §Link: a SMART app link; the EHR appends iss and launch.
            {"label": "Open the eligibility worksheet", "url": options.worksheet_launch_url, "type": "smart"},
            {"label": f"{trial.nct_id} on ClinicalTrials.gov", "url": trial.url, "type": "absolute"},
        ],
        "overrideReasons": [
            {"system": reasons["system"], "code": r["code"], "display": r["display"]} for r in reasons["codes"]
        ],
        "extension": {EVALUATION_EXTENSION: evaluation},
    }


def candidate_card(
    trial: TrialInfo, evaluation: Evaluation, new_uuid: Callable[[], str], options: CardOptions
) -> Card:
    """The card for a potentially eligible patient, with a referral suggestion."""
    count = len(_to_confirm(evaluation))
    items = f"{count} item{'s' if count != 1 else ''} to confirm" if count else "nothing left to confirm"
    card = _common(trial, evaluation, new_uuid, options)
    card["summary"] = _limit(f"Possible candidate for {trial.nct_id} ({trial.short_title}): {items}")
    card["detail"] = _candidate_detail(evaluation)
    card["selectionBehavior"] = "at-most-one"
    card["suggestions"] = [
        {
            "label": f"Refer to the {trial.nct_id} study team for screening",
            "uuid": new_uuid(),
            "actions": [
                {
                    "type": "create",
                    "description": f"Create a referral to the {trial.nct_id} study team",
                    "resource": referral(trial, evaluation),
                }
            ],
        }
    ]
    return card


def _missing_labels(evaluation: Evaluation) -> list[str]:
    labels = _settings()["missing_data_labels"]
    return [labels.get(gap["resource_type"], gap["resource_type"]) for gap in evaluation["missing_data"]]


def incomplete_card(
    trial: TrialInfo, evaluation: Evaluation, new_uuid: Callable[[], str], options: CardOptions
) -> Card:
    """The card for a patient nothing computable excludes, when some data could not be had.

    It says which data is missing and why, lists the criteria to confirm (every one that
    needs the missing data among them), and suggests no referral: the service did not
    see the whole record.
    """
    labels = _missing_labels(evaluation)
    gaps = "\n".join(
        f"- {_md(label)} (prefetch `{_md(gap['key'])}`): {_md(gap['reason'])}"
        for label, gap in zip(labels, evaluation["missing_data"], strict=True)
    )
    card = _common(trial, evaluation, new_uuid, options)
    card["summary"] = _limit(f"{trial.nct_id} ({trial.short_title}): not fully checked, could not get {', '.join(labels)}")
    card["detail"] = (
        "**Not fully checked.** The service could not get this data, so every criterion that needs it is to "
        f"confirm at screening:\n\n{gaps}\n\n{_candidate_detail(evaluation)}"
    )
    return card


def eligible_soon_card(
    trial: TrialInfo, evaluation: Evaluation, new_uuid: Callable[[], str], options: CardOptions
) -> Card:
    """The info card for an ineligible patient whose blocking criteria clear soon."""
    card = _common(trial, evaluation, new_uuid, options)
    card["summary"] = _limit(
        f"{trial.nct_id} ({trial.short_title}): may become a candidate from {evaluation['eligible_from']}"
    )
    card["detail"] = _soon_detail(evaluation)
    return card


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
) -> list[Card]:
    """One card per trial the patient may join, or may join soon; none otherwise, and none
    for a patient who is no candidate at all (`not_candidate_reason`, e.g. deceased).

    When some data could not be had (`missing_data`), a patient nothing computable
    excludes gets the card that says so instead of a candidate card, and no other
    patient gets a card (not even "may become a candidate": the record seen was partial).
    """
    cards: list[Card] = []
    for trial, evaluation in results:
        if evaluation.get("not_candidate_reason"):  # deceased: no card of any kind
            continue
        if evaluation.get("missing_data"):
            if evaluation["decision"] == "potentially_eligible":
                cards.append(incomplete_card(trial, evaluation, new_uuid, options))
        elif evaluation["decision"] == "potentially_eligible":
            cards.append(candidate_card(trial, evaluation, new_uuid, options))
        elif _eligible_soon(evaluation, as_of, options):
            cards.append(eligible_soon_card(trial, evaluation, new_uuid, options))
    return cards


def _rank(card: Card) -> tuple[int, int, str, str]:
    """Where a card goes in the answer: candidate cards before "may become a candidate"
    cards; then the fewest items to confirm; then the earliest date a card says the patient
    may become a candidate; then the trial id, so equal cards always come in one order."""
    evaluation = card["extension"][EVALUATION_EXTENSION]
    waits = evaluation["decision"] != "potentially_eligible"
    return int(waits), len(_to_confirm(evaluation)), evaluation.get("eligible_from") or "", evaluation["trial"]


def _also_possible(trial: TrialInfo, evaluation: Evaluation) -> str:
    when = f" from {evaluation['eligible_from']}" if evaluation["decision"] != "potentially_eligible" else ""
    return f"{_md(trial.nct_id)} ({_md(trial.short_title)}){when}"


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
    last = {**shown[-1], "detail": f"{shown[-1]['detail']}\n\n**{_settings()['also_possible']}:** {names}"}
    return [*shown[:-1], last]

