"""The feedback body on the wire -> checked `FeedbackItem`s (CDS Hooks 2.0 §Feedback).

What is kept is only what the report needs: card, outcome, time, accepted suggestions
and the override reason's coding. The clinician's free-text comment may name the
patient, so only whether one was given is kept.
"""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass
from typing import Any

from cds.errors import InvalidFeedbackError

OUTCOMES = ("accepted", "overridden")
# RFC 3339 instant with a zone (FHIR `instant`): date, time, optional fraction, zone.
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


@dataclass(frozen=True)
class FeedbackItem:
    """One checked feedback item, without free text."""

    card_uuid: str
    outcome: str
    outcome_timestamp: datetime.datetime
    accepted_suggestions: tuple[str, ...]
    override_system: str | None
    override_code: str | None
    override_display: str | None
    has_comment: bool


def _uuid(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise InvalidFeedbackError(f"{where} is required and must be a UUID string")
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise InvalidFeedbackError(f"{where} must be a UUID") from exc


def _timestamp(value: Any, where: str) -> datetime.datetime:
    if not isinstance(value, str) or not _INSTANT.fullmatch(value):
        raise InvalidFeedbackError(f"{where} is required and must be an RFC 3339 instant, e.g. 2021-12-11T10:05:31Z")
    try:
        return datetime.datetime.fromisoformat(value).astimezone(datetime.UTC)
    except (ValueError, OverflowError) as exc:  # OverflowError: 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise InvalidFeedbackError(f"{where} is not a valid date and time") from exc


def _accepted(item: dict[str, Any], outcome: str, where: str) -> tuple[str, ...]:
    suggestions = item.get("acceptedSuggestions")
    if suggestions is None:
        if outcome == "accepted":
            raise InvalidFeedbackError(f"{where}.acceptedSuggestions is required when outcome is accepted")
        return ()
    if not isinstance(suggestions, list) or not suggestions:
        raise InvalidFeedbackError(f"{where}.acceptedSuggestions must be a non-empty list")
    ids = []
    for index, suggestion in enumerate(suggestions):
        if not isinstance(suggestion, dict):
            raise InvalidFeedbackError(f"{where}.acceptedSuggestions[{index}] must be an object with an id")
        ids.append(_uuid(suggestion.get("id"), f"{where}.acceptedSuggestions[{index}].id"))
    return tuple(sorted(ids))


def _override(item: dict[str, Any], where: str) -> tuple[str | None, str | None, str | None, bool]:
    override = item.get("overrideReason")
    if override is None:
        return None, None, None, False
    if not isinstance(override, dict):
        raise InvalidFeedbackError(f"{where}.overrideReason must be an object")
    reason, comment = override.get("reason"), override.get("userComment")
    if comment is not None and (not isinstance(comment, str) or not comment):
        raise InvalidFeedbackError(f"{where}.overrideReason.userComment must be a non-empty string")
    if reason is None:
        if comment is None:
            raise InvalidFeedbackError(f"{where}.overrideReason needs a reason or a userComment")
        return None, None, None, True
    if not isinstance(reason, dict) or not all(isinstance(reason.get(k), str) and reason[k] for k in ("system", "code")):
        raise InvalidFeedbackError(f"{where}.overrideReason.reason must be a Coding with system and code")
    display = reason.get("display")
    return reason["system"], reason["code"], display if isinstance(display, str) else None, comment is not None


def parse_feedback(data: dict[str, Any]) -> list[FeedbackItem]:
    """Check a feedback body `{"feedback": [...]}` and return its items.

    :raise InvalidFeedbackError: the body breaks a rule; the message names the item and field.
    """
    items = data.get("feedback")
    if not isinstance(items, list) or not items:
        raise InvalidFeedbackError("feedback is required and must be a non-empty list")
    parsed = []
    for index, item in enumerate(items):
        where = f"feedback[{index}]"
        if not isinstance(item, dict):
            raise InvalidFeedbackError(f"{where} must be an object")
        outcome = item.get("outcome")
        if outcome not in OUTCOMES:
            raise InvalidFeedbackError(f"{where}.outcome must be one of: {', '.join(OUTCOMES)}")
        system, code, display, has_comment = _override(item, where)
        if outcome == "accepted" and (system or has_comment):
            raise InvalidFeedbackError(f"{where}.overrideReason is only for overridden cards")
        parsed.append(
            FeedbackItem(
                card_uuid=_uuid(item.get("card"), f"{where}.card"),
                outcome=outcome,
                outcome_timestamp=_timestamp(item.get("outcomeTimestamp"), f"{where}.outcomeTimestamp"),
                accepted_suggestions=_accepted(item, outcome, where),
                override_system=system,
                override_code=code,
                override_display=display,
                has_comment=has_comment,
            )
        )
    return parsed
