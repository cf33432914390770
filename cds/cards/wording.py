"""The words of a card: summaries within the CDS Hooks limit, the facts for candidacy,
how much is left to confirm, and the same in plain text for the suggested resources.

A clinician reads a card in seconds in a ~420 px side panel (issue 13), so every text
here names criteria by their trial-file labels (never by id), shows no FHIR reference,
and says a thing once: a fact is its evidence in words with its date, or else the
engine's one-line reason, never both. What is left to confirm is a count and what kind
of item it is, not the list: the list is in the referral's note and the worksheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cds.cards.model import CriterionJson, Evaluation, settings, to_confirm
from cds.trials.schema import CardRequirement

# Characters that change meaning in GitHub-Flavored Markdown inside a list item, each
# escaped with a backslash.
_MARKDOWN_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|~"})
# Where a summary sentence takes the trial's short title, the part shortened when the
# sentence is too long (the NCT id, the dates and the counts are kept whole).
SHORT_TITLE = "\x00short-title\x00"
ELLIPSIS = "…"


def md(text: str) -> str:
    """Escape text from data so Markdown shows it literally."""
    return text.translate(_MARKDOWN_ESCAPES)


def plural(count: int, noun: str) -> str:
    """"1 item", "2 items"."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def fitted_summary(sentence: str, short_title: str) -> str:
    """The sentence with the short title in place of SHORT_TITLE, within the summary limit:
    the short title is shortened first (ending in …), and only if that is not enough the
    sentence's end."""
    limit = settings()["summary_max_chars"]
    whole = sentence.replace(SHORT_TITLE, short_title)
    if len(whole) <= limit:
        return whole
    room = limit - (len(sentence) - len(SHORT_TITLE))
    if room > len(ELLIPSIS):
        return sentence.replace(SHORT_TITLE, short_title[: room - len(ELLIPSIS)].rstrip() + ELLIPSIS)
    return whole[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


@dataclass(frozen=True)
class Fact:
    """One criterion as a card states it: its label, and its evidence (or reason) in words.

    `settled`: met; else the record points to it but leaves it to confirm (an SLE
    diagnosis recorded only as "lupus erythematosus")."""

    label: str
    words: str
    settled: bool


def _says_more_than_its_date(evidence: dict[str, Any]) -> bool:
    """A birth date behind an age says nothing the reason does not say better."""
    return bool(evidence.get("value")) and evidence["value"] != evidence.get("date")


def evidence_words(criterion: CriterionJson) -> str | None:
    """The most recent evidence item in words with its date, and how many more there are;
    None when no item says more than its date."""
    items = [e for e in criterion["evidence"] if _says_more_than_its_date(e)]
    if not items:
        return None
    newest = max(items, key=lambda e: e.get("date") or "")
    value, date = newest["value"], newest.get("date")
    words = value if not date or date in value else f"{value}, {date}"
    return f"{words} (and {len(items) - 1} more)" if len(items) > 1 else words


def fact_words(criterion: CriterionJson) -> str:
    """What the record shows for a criterion: its evidence in words, else the engine's reason."""
    return evidence_words(criterion) or criterion["reason"]


def strongest_facts(evaluation: Evaluation, requirement: CardRequirement | None) -> list[Fact]:
    """The facts for candidacy a card shows, strongest first, at most `detail_facts`.

    The criteria the trial asks to be met before any card (`card_requires`) are its
    strongest evidence: first those met, then those the record points to but leaves to
    confirm (a lupus code not specific for SLE). Then the other inclusions: met with
    evidence in words, unknown with evidence, and met with a reason only (an age)."""
    wanted = set(requirement.criterion_ids) if requirement else set()
    inclusions = [c for c in evaluation["criteria"] if c["kind"] == "inclusion"]
    required = [c for c in inclusions if c["id"] in wanted]
    others = [c for c in inclusions if c["id"] not in wanted]
    ranked = (
        [c for c in required if c["status"] == "met"]
        + [c for c in required if c["status"] == "unknown" and evidence_words(c)]
        + [c for c in others if c["status"] == "met" and evidence_words(c)]
        + [c for c in others if c["status"] == "unknown" and evidence_words(c)]
        + [c for c in others if c["status"] == "met" and not evidence_words(c)]
    )
    return [Fact(c["label"], fact_words(c), c["status"] == "met") for c in ranked[: settings()["detail_facts"]]]


def fact_line(fact: Fact) -> str:
    """A fact as a Markdown list item: "- **SLE diagnosis**: Systemic lupus erythematosus (active), 2019-11-19"."""
    unsettled = "" if fact.settled else " (to confirm)"
    return f"- **{md(fact.label)}**{unsettled}: {md(fact.words)}"


def facts_section(facts: list[Fact]) -> str | None:
    """The facts under one heading; None when there are none."""
    return "**In the record**\n\n" + "\n".join(fact_line(f) for f in facts) if facts else None


def _blocker(criterion: CriterionJson) -> tuple[str, str]:
    """A criterion that blocks only for a time: its label, and what the record shows and
    when it stops blocking."""
    when = "clears on" if criterion["kind"] == "exclusion" else "met from"
    return criterion["label"], f"{fact_words(criterion)}; {when} {criterion['clears_on']}"


def blocker_line(criterion: CriterionJson) -> str:
    """A criterion that blocks only for a time, as a Markdown list item."""
    label, words = _blocker(criterion)
    return f"- **{md(label)}**: {md(words)}"


def blocker_text(criterion: CriterionJson) -> str:
    """A criterion that blocks only for a time, as a plain-text sentence."""
    label, words = _blocker(criterion)
    return f"{label}: {words}."


def confirm_sentence(evaluation: Evaluation) -> str:
    """How many items are left to confirm at screening, and of what kind (not the list)."""
    unknown = to_confirm(evaluation)
    if not unknown:
        return "Nothing left to confirm from the record."
    ask = sum(1 for c in unknown if c["manual"])
    kinds = []
    if ask:
        kinds.append(f"{ask} to ask the patient or investigator")
    if len(unknown) > ask:
        kinds.append(f"{len(unknown) - ask} not settled by the record")
    return f"**{plural(len(unknown), 'item')} to confirm at screening:** {', '.join(kinds)}."


def missing_labels(evaluation: Evaluation) -> list[str]:
    """The data the service could not get, in words ("lab results"), once each."""
    labels = settings()["missing_data_labels"]
    return list(dict.fromkeys(labels.get(gap["resource_type"], gap["resource_type"]) for gap in evaluation["missing_data"]))


def facts_note(facts: list[Fact]) -> str | None:
    """The facts as one plain-text sentence for a referral's note; None when there are none."""
    if not facts:
        return None
    return "In the record: " + "; ".join(f"{f.label}{'' if f.settled else ' (to confirm)'}: {f.words}" for f in facts) + "."


def confirm_note(evaluation: Evaluation) -> str | None:
    """Every item left to confirm, by label, inclusions to confirm and exclusions to rule
    out, as plain text for a referral's note; None when there is none."""
    unknown = to_confirm(evaluation)
    parts = []
    inclusions = [c["label"] for c in unknown if c["kind"] == "inclusion"]
    exclusions = [c["label"] for c in unknown if c["kind"] == "exclusion"]
    if inclusions:
        parts.append("To confirm at screening: " + "; ".join(inclusions) + ".")
    if exclusions:
        parts.append("To rule out at screening: " + "; ".join(exclusions) + ".")
    return " ".join(parts) or None
