"""`condition`: a coded Condition, any status, active, or present inside a window.

Coded history is closed-world: no matching record is not_met ("no record of ...").
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from cds.engine.context import EvaluationContext
from cds.engine.kinds.registry import Params, kind
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence, Outcome
from fhir_mappings.conditions import ConditionFact
from fhir_mappings.terminology import Coding, coded_in


class UnknownWhen(Params):
    """A value set whose match makes the part unknown (not met), with the reason."""

    valueset: str
    reason: str


class ConditionParams(Params):
    """Which codes, which clinical status, and an optional look-back window."""

    valuesets: list[str]
    label: str
    status: Literal["any", "active"] = "any"
    within_days: int | None = None
    unknown_when: list[UnknownWhen] = []


def _evidence(fact: ConditionFact, coding: Coding) -> Evidence:
    status = fact.clinical_status or "no clinical status"
    return Evidence(fact.reference, coding.token, f"{coding.display or coding.code} ({status})", fact.start)


def _counts(fact: ConditionFact, params: ConditionParams, as_of: date) -> bool:
    if fact.start is not None and fact.start > as_of:
        return False
    return params.status == "any" or fact.active


def _presence(fact: ConditionFact, as_of: date) -> tuple[date, date | None]:
    """[start, end] the condition is present; end None while it is ongoing at D.

    From onset (else recordedDate; neither: D) to abatement if given; with no
    abatement, ongoing if active, else only its onset day (a single event).
    """
    start = fact.start or as_of
    if fact.abatement is not None:
        return start, fact.abatement
    if fact.active:
        return start, None
    return start, start


def _matches(params: ConditionParams, names: list[str], ctx: EvaluationContext) -> list[tuple[ConditionFact, Coding]]:
    return [(fact, hit) for fact, hit in coded_in(ctx.facts.conditions, names) if _counts(fact, params, ctx.as_of)]


@kind("condition", ConditionParams, reads=("Condition",))
def condition(params: ConditionParams, ctx: EvaluationContext) -> Outcome:
    """Met by a matching Condition; inside `within_days` only while present in the window."""
    matches = _matches(params, params.valuesets, ctx)
    if params.within_days is not None:
        return _within_window(params, matches, ctx)
    if matches:
        evidence = tuple(_evidence(f, d) for f, d in matches)
        return Outcome(Tri.MET, f"{params.label} recorded", evidence)
    for rule in params.unknown_when:
        partial = _matches(params, [rule.valueset], ctx)
        if partial:
            return Outcome(Tri.UNKNOWN, rule.reason, tuple(_evidence(f, d) for f, d in partial))
    qualifier = "active " if params.status == "active" else ""
    return Outcome(Tri.NOT_MET, f"no record of {qualifier}{params.label}")


def _within_window(params: ConditionParams, matches: list[tuple[ConditionFact, Coding]], ctx: EvaluationContext) -> Outcome:
    assert params.within_days is not None
    window_start = ctx.days_before(params.within_days)
    present = []
    for fact, coding in matches:
        start, end = _presence(fact, ctx.as_of)
        if end is None or end >= window_start:
            present.append((fact, coding, end))
    if not present:
        return Outcome(Tri.NOT_MET, f"no {params.label} in the {params.within_days} days before {ctx.as_of.isoformat()}")
    ends = [end for _, _, end in present]
    clears_on = None
    if all(e is not None for e in ends):
        clears_on = max(e for e in ends if e is not None) + timedelta(days=params.within_days + 1)
    evidence = tuple(_evidence(f, d) for f, d, _ in present)
    when = "ongoing" if clears_on is None else f"last present {max(e for e in ends if e).isoformat()}"
    return Outcome(Tri.MET, f"{params.label} within {params.within_days} days ({when})", evidence, clears_on)
