"""`procedure` and `immunization`: a completed coded event inside a window before D."""

from __future__ import annotations

from datetime import timedelta

from cds.engine.context import EvaluationContext
from cds.engine.kinds.registry import Params, kind
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence, Outcome
from fhir_mappings.events import CodedEvent
from fhir_mappings.terminology import coded_in


class EventParams(Params):
    """Value sets of event codes and the window in days (both ends included)."""

    valuesets: list[str]
    label: str
    within_days: int


def _event_within(params: EventParams, events: list[CodedEvent], ctx: EvaluationContext) -> Outcome:
    """Met by an event overlapping [D - within_days, D]; clears_on = last day + window + 1."""
    start = ctx.days_before(params.within_days)
    inside = [
        (event, hit)
        for event, hit in coded_in(events, params.valuesets)
        if event.start is not None and event.start <= ctx.as_of and (event.end or event.start) >= start
    ]
    if not inside:
        return Outcome(Tri.NOT_MET, f"no record of {params.label} within {params.within_days} days")
    last = max(min(e.end or e.start, ctx.as_of) for e, _ in inside if e.start)  # type: ignore[type-var]
    evidence = tuple(Evidence(e.reference, c.token, c.display or c.code, e.start) for e, c in inside)
    return Outcome(
        Tri.MET,
        f"{params.label} on {last} (within {params.within_days} days)",
        evidence,
        last + timedelta(days=params.within_days + 1),
    )


@kind("procedure", EventParams, reads=("Procedure",))
def procedure(params: EventParams, ctx: EvaluationContext) -> Outcome:
    """A completed Procedure in the window."""
    return _event_within(params, ctx.facts.procedures, ctx)


@kind("immunization", EventParams, reads=("Immunization",))
def immunization(params: EventParams, ctx: EvaluationContext) -> Outcome:
    """A completed Immunization in the window."""
    return _event_within(params, ctx.facts.immunizations, ctx)
