"""`condition`: a coded Condition, any status, active, or present inside a window.

Coded history is closed-world: no matching record is not_met ("no record of ...").
Each matching Condition is judged on its own as counting, not counting, or unknown:

- its start (onset, else recordedDate) must be on or before D; a partial date that
  may fall either side of D, or of a window's edge, is unknown for it (ground rules,
  "Partial dates");
- an unconfirmed, provisional or differential diagnosis counts for an exclusion, but
  for an inclusion it is unknown ("diagnosis not confirmed"), never met; the context
  says which kind of criterion the part serves (`EvaluationContext.serves`);
- with `stale_after_days`, a Condition that would count as active but started more than
  that many days before D is stale: unknown, whatever its clinicalStatus (a pregnancy
  lasts at most 42 weeks: the ground rules' pregnancy rule, portfolio G15).

The part is met when one Condition counts, else unknown when one is unknown, else the
`unknown_when` value sets are tried, else not_met.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import model_validator

from cds.engine.context import EvaluationContext
from cds.engine.kinds.registry import Params, kind
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence, Outcome
from cds.engine.windows import before, on_or_before, overlaps
from fhir_mappings.conditions import ConditionFact
from fhir_mappings.dates import Span
from fhir_mappings.immutable import immutable
from fhir_mappings.terminology import Coding, coded_in


class UnknownWhen(Params):
    """A value set whose match makes the part unknown (not met), with the reason."""

    valueset: str
    reason: str


class ConditionParams(Params):
    """Which codes, which clinical status, an optional look-back window, and an optional
    age after which an open Condition is stale (time-limited conditions)."""

    valuesets: list[str]
    label: str
    status: Literal["any", "active"] = "any"
    within_days: int | None = None
    stale_after_days: int | None = None
    unknown_when: list[UnknownWhen] = []

    @model_validator(mode="after")
    def _stale_needs_active(self) -> ConditionParams:
        if self.stale_after_days is not None and (self.status != "active" or self.within_days is not None):
            raise ValueError("stale_after_days applies to status: active without within_days")
        return self


@immutable
class Judged:
    """A matching Condition as it counts for one part: MET, or UNKNOWN with the reason;
    present over [start, end] (end None while ongoing)."""

    fact: ConditionFact
    coding: Coding
    status: Tri
    reason: str
    start: Span
    end: Span | None

    @property
    def evidence(self) -> Evidence:
        """The Condition as evidence: its code, statuses and date."""
        return _evidence(self.fact, self.coding)


def _evidence(fact: ConditionFact, coding: Coding) -> Evidence:
    status = fact.clinical_status or "no clinical status"
    if not fact.confirmed:
        status += f", {fact.verification}"
    shown = f"{coding.display or coding.code} ({status})"
    start = fact.start
    if start is not None and not start.exact:
        shown += f", dated {start.text}"
    return Evidence(fact.reference, coding.token, shown, start.first if start else None)


def _presence(fact: ConditionFact, as_of: date) -> tuple[Span, Span | None]:
    """[start, end] the condition is present; end None while it is ongoing at D.

    From onset (else recordedDate; neither: D) to abatement if given; with no
    abatement, ongoing if active, else only its onset day (a single event).
    """
    start = fact.start or Span.day(as_of)
    if fact.abatement is not None:
        return start, fact.abatement
    if fact.active:
        return start, None
    return start, start


def _judge(fact: ConditionFact, coding: Coding, params: ConditionParams, ctx: EvaluationContext) -> Judged | None:
    """How one matching Condition counts for the part; None when it does not count."""
    if params.status == "active" and not fact.active:
        return None
    reasons: list[str] = []
    start, end = _presence(fact, ctx.as_of)
    if params.within_days is not None:
        present = overlaps(start, end, ctx.days_before(params.within_days), ctx.as_of)
        if present is Tri.NOT_MET:
            return None
        if present is Tri.UNKNOWN:
            reasons.append(f"{fact.reference} dated {start.text} may or may not fall in the {params.within_days} days before {ctx.as_of.isoformat()}")
    else:
        started = on_or_before(start, ctx.as_of)
        if started is Tri.NOT_MET:
            return None
        if started is Tri.UNKNOWN:
            reasons.append(f"{fact.reference} dated {start.text}, which may be after {ctx.as_of.isoformat()}")
        if params.stale_after_days is not None:
            reasons.extend(_staleness(fact, params, ctx))
    if not fact.confirmed and ctx.serves == "inclusion":
        reasons.append(f"diagnosis not confirmed ({fact.reference} is {fact.verification})")
    return Judged(fact, coding, Tri.UNKNOWN if reasons else Tri.MET, "; ".join(reasons), start, end)


def _staleness(fact: ConditionFact, params: ConditionParams, ctx: EvaluationContext) -> list[str]:
    """Why an open time-limited Condition cannot be taken as current, if it cannot."""
    assert params.stale_after_days is not None
    limit = ctx.days_before(params.stale_after_days)
    if fact.start is None:
        return [f"{params.label} recorded without a date and still open ({fact.reference}): confirm whether it is current"]
    stale = before(fact.start, limit)
    if stale is Tri.NOT_MET:
        return []
    when = "more than" if stale is Tri.MET else "perhaps more than"
    reason = (
        f"{params.label} dated {fact.start.text} still open {when} {params.stale_after_days} days later "
        f"({fact.reference}): confirm whether it is current"
    )
    return [reason]


def _judged(params: ConditionParams, names: list[str], ctx: EvaluationContext) -> list[Judged]:
    found = (_judge(fact, hit, params, ctx) for fact, hit in coded_in(ctx.facts.conditions, names))
    return [j for j in found if j is not None]


def _clears_on(judged: list[Judged], within_days: int) -> date | None:
    """The day after the window has passed the last possible day of presence; None when
    any Condition that is or may be present is ongoing."""
    ends = [j.end for j in judged]
    if any(end is None for end in ends):
        return None
    return max(end.last for end in ends if end is not None) + timedelta(days=within_days + 1)


@kind("condition", ConditionParams, reads=("Condition",))
def condition(params: ConditionParams, ctx: EvaluationContext) -> Outcome:
    """Met by a matching Condition that counts; inside `within_days` only while present in the window."""
    judged = _judged(params, params.valuesets, ctx)
    met = [j for j in judged if j.status is Tri.MET]
    if met:
        evidence = tuple(j.evidence for j in met)
        if params.within_days is None:
            return Outcome(Tri.MET, f"{params.label} recorded", evidence)
        clears_on = _clears_on(judged, params.within_days)
        last = max(j.end.last for j in met if j.end is not None) if clears_on is not None else None
        when = "ongoing" if last is None else f"last present {last.isoformat()}"
        return Outcome(Tri.MET, f"{params.label} within {params.within_days} days ({when})", evidence, clears_on)
    if judged:
        reasons = "; ".join(dict.fromkeys(j.reason for j in judged))
        return Outcome(Tri.UNKNOWN, f"{params.label}: {reasons}", tuple(j.evidence for j in judged))
    for rule in params.unknown_when:
        partial = _judged(params, [rule.valueset], ctx)
        if partial:
            return Outcome(Tri.UNKNOWN, rule.reason, tuple(j.evidence for j in partial))
    if params.within_days is not None:
        return Outcome(Tri.NOT_MET, f"no {params.label} in the {params.within_days} days before {ctx.as_of.isoformat()}")
    qualifier = "active " if params.status == "active" else ""
    return Outcome(Tri.NOT_MET, f"no record of {qualifier}{params.label}")
