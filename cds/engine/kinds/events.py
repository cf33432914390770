"""`procedure` and `immunization`: a completed coded event, ever or inside a window before D.

Portfolio G8: only completed events count (closed world); a Procedure's date is
performedDateTime or its performedPeriod, and a period is in a window when any of its
days is. With no window ("ever", G2) any completed event on or before D counts, one
with no performed date too; no `clears_on` then.

An event whose date is partial and straddles an edge of the window, or that has no
readable date at all (an Immunization with only occurrenceString, a Procedure with only
performedString), could fall in the window: for it the part is unknown, never met and
never not_met (ground rules, "Partial dates" and "Immunizations"). Events dated after D
are ignored (G1). A not_met reason names the last matching event before the window.
"""

from __future__ import annotations

from datetime import date

from cds.engine.context import EvaluationContext
from cds.engine.kinds.params import WindowParams
from cds.engine.kinds import inputs
from cds.engine.kinds.registry import kind
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence, Outcome
from cds.engine.windows import Window, on_or_before, overlaps
from fhir_mappings.events import CodedEvent
from fhir_mappings.terminology import Coding, coded_in


class EventParams(WindowParams):
    """Value sets of event codes and the window (none: ever)."""

    valuesets: list[str]
    label: str


def _evidence(event: CodedEvent, coding: Coding) -> Evidence:
    shown = coding.display or coding.code
    if event.start is None:
        shown += " (no readable date)"
    elif not event.start.exact:
        shown += f" (dated {event.start.text})"
    return Evidence(event.reference, coding.token, shown, event.start.first if event.start else None)


def _named(events: list[tuple[CodedEvent, Coding]]) -> str:
    return ", ".join(
        f"{e.reference} ({'no readable date' if e.start is None else 'dated ' + e.start.text})" for e, _ in events[:3]
    )


def _last_before(matching: list[tuple[CodedEvent, Coding]], first: date) -> str:
    """" (last on X)" for the latest matching event surely before the window, if any."""
    ends = [(e.end or e.start).last for e, _ in matching if e.start is not None and (e.end or e.start).last < first]
    return f" (last on {max(ends).isoformat()})" if ends else ""


def _ever(params: EventParams, events: list[CodedEvent], ctx: EvaluationContext) -> Outcome:
    """Met by any matching event on or before D, an undated one included (G8 "ever")."""
    done: list[tuple[CodedEvent, Coding]] = []
    perhaps: list[tuple[CodedEvent, Coding]] = []
    for event, hit in coded_in(events, params.valuesets):
        verdict = Tri.MET if event.start is None else on_or_before(event.start, ctx.as_of)
        if verdict is Tri.MET:
            done.append((event, hit))
        elif verdict is Tri.UNKNOWN:
            perhaps.append((event, hit))
    if done:
        dated = [e.start for e, _ in done if e.start is not None]
        when = f" (first dated {min(dated, key=lambda d: d.first).text})" if dated else ""
        return Outcome(Tri.MET, f"{params.label} recorded{when}", tuple(_evidence(e, c) for e, c in done))
    if perhaps:
        return Outcome(Tri.UNKNOWN, f"{params.label} dated perhaps after {ctx.as_of.isoformat()}: {_named(perhaps)}", tuple(_evidence(e, c) for e, c in perhaps))
    return Outcome(Tri.NOT_MET, f"no record of {params.label}")


def _event_within(params: EventParams, window: Window, events: list[CodedEvent], ctx: EvaluationContext) -> Outcome:
    """Met by an event inside the window; clears_on = the first day whose window misses
    the last possible day of every matching event."""
    window_start = window.first_day(ctx.as_of)
    span = window.describe()
    matching = coded_in(events, params.valuesets)
    inside: list[tuple[CodedEvent, Coding]] = []
    perhaps: list[tuple[CodedEvent, Coding]] = []
    for event, hit in matching:
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
            clears_on = window.clears_on(last_possible)
        last = max(min((e.end or e.start).last, ctx.as_of) for e, _ in inside if e.start is not None)
        evidence = tuple(_evidence(e, c) for e, c in inside)
        return Outcome(Tri.MET, f"{params.label} on {last} (within {span})", evidence, clears_on)
    if perhaps:
        return Outcome(
            Tri.UNKNOWN,
            f"{params.label} that may fall within {span}: {_named(perhaps)}",
            tuple(_evidence(e, c) for e, c in perhaps),
        )
    return Outcome(Tri.NOT_MET, f"no record of {params.label} within {span}{_last_before(matching, window_start)}")


def _events(params: EventParams, events: list[CodedEvent], ctx: EvaluationContext) -> Outcome:
    window = params.window
    return _ever(params, events, ctx) if window is None else _event_within(params, window, events, ctx)


@kind("procedure", EventParams, reads=("Procedure",), has_input=inputs.coded("procedures", lambda p: p.valuesets))
def procedure(params: EventParams, ctx: EvaluationContext) -> Outcome:
    """A completed Procedure, ever or in the window."""
    return _events(params, ctx.facts.procedures, ctx)


@kind("immunization", EventParams, reads=("Immunization",), has_input=inputs.coded("immunizations", lambda p: p.valuesets))
def immunization(params: EventParams, ctx: EvaluationContext) -> Outcome:
    """A completed Immunization, ever or in the window."""
    return _events(params, ctx.facts.immunizations, ctx)
