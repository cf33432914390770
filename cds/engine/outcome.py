"""What evaluating a criterion (or one part of it) yields: status, reason, evidence, dates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from cds.engine.logic import Tri, tri_all, tri_any
from fhir_mappings.immutable import immutable


@immutable
class Evidence:
    """One FHIR resource behind a result: reference, code token, value as read, date."""

    reference: str
    code: str
    value: str | None
    date: date | None

    def to_json(self) -> dict[str, str | None]:
        """The evidence entry of the evaluation JSON."""
        return {
            "reference": self.reference,
            "code": self.code,
            "value": self.value,
            "date": self.date.isoformat() if self.date else None,
        }


@immutable
class Outcome:
    """A part's status with a one-line reason.

    `clears_on`: for a met part, the first date it would no longer be met with the data
    as it is (None when any part of it has no time limit); for a not_met part that
    will become met by itself (a regimen not yet 30 days old), the date it becomes met.
    Either way, the date its status flips.

    `no_data`: the part is unknown because the record holds no input for it at all (no
    lab result in the window), as opposed to an input it cannot decide from; a
    `fallback` turns to its next part only then.
    """

    status: Tri
    reason: str
    evidence: tuple[Evidence, ...] = ()
    clears_on: date | None = None
    no_data: bool = False


def _joined(outcomes: Sequence[Outcome]) -> str:
    """The parts' reasons, each phrase once: parts of one tree often share a leaf ("no
    anti-infective in 60 days" in an AND and again in an unknown tier), and a reader
    should not meet the same words twice."""
    phrases = (phrase for o in outcomes if o.reason for phrase in o.reason.split("; "))
    return "; ".join(dict.fromkeys(phrases))


def _evidence(outcomes: Sequence[Outcome]) -> tuple[Evidence, ...]:
    return tuple(dict.fromkeys(e for o in outcomes for e in o.evidence))


def _latest_clearing(outcomes: Sequence[Outcome]) -> date | None:
    """A met OR clears when every met part has cleared: the latest date, if all have one."""
    dates = [o.clears_on for o in outcomes]
    return max(dates) if dates and all(d is not None for d in dates) else None  # type: ignore[type-var]


def combine_any(parts: Sequence[Outcome]) -> Outcome:
    """Kleene OR of parts; the reason and evidence come from the parts that decide it."""
    status = tri_any(p.status for p in parts)
    deciding = [p for p in parts if p.status is status] or list(parts)
    clears_on = _latest_clearing(deciding) if status is Tri.MET else None
    if status is Tri.NOT_MET:
        clears_on = min((p.clears_on for p in deciding if p.clears_on), default=None)
    return Outcome(status, _joined(deciding), _evidence(deciding), clears_on, _no_data(parts))


def _no_data(parts: Sequence[Outcome]) -> bool:
    return bool(parts) and all(p.no_data for p in parts)


def combine_all(parts: Sequence[Outcome]) -> Outcome:
    """Kleene AND of parts.

    A met AND carries `clears_on` only when every part is time-limited (the earliest
    date, when the first part stops being met). A not_met AND becomes met when its last
    not_met part does, so it carries the latest of their dates, only when each of them
    has one and every met part stays met until then.
    """
    status = tri_all(p.status for p in parts)
    deciding = [p for p in parts if p.status is status] or list(parts)
    clears_on = None
    if status is Tri.MET and all(p.clears_on for p in parts):
        clears_on = min(p.clears_on for p in parts if p.clears_on)
    elif status is Tri.NOT_MET and all(p.clears_on for p in deciding):
        turns = max(p.clears_on for p in deciding if p.clears_on)
        others = [p for p in parts if p.status is not Tri.NOT_MET]
        stays = all(p.status is Tri.MET and (p.clears_on is None or p.clears_on > turns) for p in others)
        clears_on = turns if stays else None
    return Outcome(status, _joined(deciding), _evidence(deciding), clears_on, _no_data(parts))


def negate(part: Outcome) -> Outcome:
    """Kleene NOT: met and not_met swap, unknown stays; the date the status flips is kept."""
    status = {Tri.MET: Tri.NOT_MET, Tri.NOT_MET: Tri.MET}.get(part.status, Tri.UNKNOWN)
    return Outcome(status, part.reason, part.evidence, part.clears_on, part.no_data)


def met_as_unknown(part: Outcome, reason: str) -> Outcome:
    """A met part counts only as unknown, with `reason` before the part's own; a not_met
    part stays not_met (with the date it would become met, then unknown)."""
    if part.status is not Tri.MET:
        return part
    return Outcome(Tri.UNKNOWN, f"{reason}: {part.reason}" if part.reason else reason, part.evidence)


def surely_met(part: Outcome) -> Outcome:
    """A met part stays met; an unknown one counts as not_met (with its reason and
    evidence, and no date: nothing says when it would turn met)."""
    if part.status is not Tri.UNKNOWN:
        return part
    return Outcome(Tri.NOT_MET, f"not surely met: {part.reason}" if part.reason else "not surely met", part.evidence)


def noted_unless_met(part: Outcome, text: str) -> Outcome:
    """The part with `text` after its reason when it is not met."""
    if part.status is Tri.MET:
        return part
    reason = f"{part.reason}; {text}" if part.reason else text
    return Outcome(part.status, reason, part.evidence, part.clears_on, part.no_data)
