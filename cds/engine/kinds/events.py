"""`procedure` and `immunization`: a completed coded event inside a window before D.

An event whose date is partial and straddles an edge of the window, or that has no
readable date at all (an Immunization with only occurrenceString), could fall in the
window: for it the part is unknown, never met and never not_met (ground rules,
"Partial dates" and "Immunizations"; a Procedure with no performed date is read the
same way, docs/design.md).
"""

from __future__ import annotations

from datetime import timedelta

from cds.engine.context import EvaluationContext
from cds.engine.kinds.registry import Params, kind
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence, Outcome
from cds.engine.windows import overlaps
from fhir_mappings.events import CodedEvent
from fhir_mappings.terminology import Coding, coded_in


class EventParams(Params):
    """Value sets of event codes and the window in days (both ends included)."""

    valuesets: list[str]
    label: str
    within_days: int


def _evidence(event: CodedEvent, coding: Coding) -> Evidence:
    shown = coding.display or coding.code
    if event.start is None:
        shown += " (no readable date)"
    elif not event.start.exact:
        shown += f" (dated {event.start.text})"
    return Evidence(event.reference, coding.token, shown, event.start.first if event.start else None)


def _event_within(params: EventParams, events: list[CodedEvent], ctx: EvaluationContext) -> Outcome:
    """Met by an event inside [D - within_days, D]; clears_on = last possible day + window + 1."""
    window_start = ctx.days_before(params.within_days)
    inside: list[tuple[CodedEvent, Coding]] = []
    perhaps: list[tuple[CodedEvent, Coding]] = []
    for event, hit in coded_in(events, params.valuesets):
        if event.start is None:
            perhaps.append((event, hit))
            continue
        verdict = overlaps(event.start, event.end or event.start, window_start, ctx.as_of)
        if verdict is Tri.MET:
            inside.append((event, hit))
        elif verdict is Tri.UNKNOWN:
            perhaps.append((event, hit))
    if inside:
        ends = [(e.end or e.start) for e, _ in inside + perhaps]
        clears_on = None
        if all(end is not None for end in ends):
            last_possible = min(max(end.last for end in ends if end is not None), ctx.as_of)
            clears_on = last_possible + timedelta(days=params.within_days + 1)
        last = max(min((e.end or e.start).last, ctx.as_of) for e, _ in inside if e.start is not None)
        evidence = tuple(_evidence(e, c) for e, c in inside)
        return Outcome(Tri.MET, f"{params.label} on {last} (within {params.within_days} days)", evidence, clears_on)
    if perhaps:
        named = ", ".join(
            f"{e.reference} ({'no readable date' if e.start is None else 'dated ' + e.start.text})" for e, _ in perhaps[:3]
        )
        return Outcome(
            Tri.UNKNOWN,
            f"{params.label} that may fall within {params.within_days} days: {named}",
            tuple(_evidence(e, c) for e, c in perhaps),
        )
    return Outcome(Tri.NOT_MET, f"no record of {params.label} within {params.within_days} days")


@kind("procedure", EventParams, reads=("Procedure",))
def procedure(params: EventParams, ctx: EvaluationContext) -> Outcome:
    """A completed Procedure in the window."""
    return _event_within(params, ctx.facts.procedures, ctx)


@kind("immunization", EventParams, reads=("Immunization",))
def immunization(params: EventParams, ctx: EvaluationContext) -> Outcome:
    """A completed Immunization in the window."""
    return _event_within(params, ctx.facts.immunizations, ctx)
