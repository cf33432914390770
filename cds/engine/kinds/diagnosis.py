"""`diagnosis_date`: a diagnosis made within a window before D (portfolio G7).

A Condition's date is its onset, else its recordedDate (ground rules, "Condition onset
and status"). The diagnosis date is the earliest such date among the qualifying
Conditions dated on or before D, whatever their clinicalStatus (a diagnosis is
lifelong). Met when it lies in the window, not_met when it lies before (the reason gives
the date; no `clears_on`, it only moves further away), and with no qualifying Condition
not_met (closed world) unless an `unknown_when` value set matches (the reason then names
that record's earliest date). Unknown when no qualifying Condition has a usable date,
when partial dates leave the answer open, when the only qualifying records are
unconfirmed diagnoses (for an inclusion), and when a record of an `unknown_when_earlier`
value set is dated before the window while the diagnosis date is in it (a disease of
unknown type recorded earlier: confirm the diagnosis date).
"""

from __future__ import annotations

from pydantic import model_validator

from cds.engine.context import EvaluationContext
from cds.engine.kinds.conditions import UnknownWhen, condition_evidence
from cds.engine.kinds.params import WindowParams
from cds.engine.logic import Tri
from cds.engine.outcome import Outcome
from cds.engine.kinds import inputs
from cds.engine.kinds.registry import kind
from cds.engine.windows import on_or_before, within
from fhir_mappings.conditions import ConditionFact
from fhir_mappings.dates import Span
from fhir_mappings.terminology import Coding, coded_in


class DiagnosisDateParams(WindowParams):
    """The qualifying value sets, the window, and what makes the answer unknown."""

    valuesets: list[str]
    label: str
    unknown_when: list[UnknownWhen] = []
    unknown_when_earlier: list[UnknownWhen] = []

    @model_validator(mode="after")
    def _needs_window(self) -> DiagnosisDateParams:
        if self.window is None:
            raise ValueError("diagnosis_date needs a window (within_years, within_months, ...)")
        return self


def _not_after(found: list[tuple[ConditionFact, Coding]], ctx: EvaluationContext) -> list[tuple[ConditionFact, Coding]]:
    """The records that are, or may be, dated on or before D (undated ones included)."""
    return [(f, c) for f, c in found if f.start is None or on_or_before(f.start, ctx.as_of) is not Tri.NOT_MET]


def _earliest(found: list[tuple[ConditionFact, Coding]]) -> str:
    dated = [f.start for f, _ in found if f.start is not None]
    return f" (earliest dated {min(dated, key=lambda s: (s.first, s.last)).text})" if dated else ""


def _diagnosis_span(sure: list[ConditionFact], maybe: list[ConditionFact]) -> Span:
    """The days the earliest date can be: from the earliest first day of any record that
    may be on or before D to the earliest last day of those surely on or before D."""
    starts = [f.start for f in sure if f.start is not None]
    first = min(s.first for s in starts + [f.start for f in maybe if f.start is not None])
    last = min(s.last for s in starts)
    exact = [s for s in starts if s.first == first and s.last == last]
    return exact[0] if exact else Span.between(first, last)


@kind(
    "diagnosis_date",
    DiagnosisDateParams,
    reads=("Condition",),
    has_input=inputs.coded("conditions", lambda p: [*p.valuesets, *(r.valueset for r in (*p.unknown_when, *p.unknown_when_earlier))]),
)
def diagnosis_date(params: DiagnosisDateParams, ctx: EvaluationContext) -> Outcome:
    """Met when the earliest qualifying diagnosis is dated inside the window."""
    window = params.window
    assert window is not None
    found = _not_after(coded_in(ctx.facts.conditions, params.valuesets), ctx)
    counted = [(f, c) for f, c in found if f.confirmed or ctx.serves == "exclusion"]
    if not counted:
        if found:
            named = ", ".join(f"{f.reference} ({f.verification})" for f, _ in found[:3])
            return Outcome(Tri.UNKNOWN, f"{params.label}: diagnosis not confirmed ({named})", tuple(condition_evidence(f, c) for f, c in found))
        for rule in params.unknown_when:
            other = _not_after(coded_in(ctx.facts.conditions, [rule.valueset]), ctx)
            if other:
                return Outcome(Tri.UNKNOWN, f"{rule.reason}{_earliest(other)}", tuple(condition_evidence(f, c) for f, c in other))
        return Outcome(Tri.NOT_MET, f"no record of {params.label}")
    evidence = tuple(condition_evidence(f, c) for f, c in counted)
    sure = [f for f, _ in counted if f.start is not None and f.start.last <= ctx.as_of]
    maybe = [f for f, _ in counted if f.start is not None and f.start.last > ctx.as_of]
    if not sure:
        shown = ", ".join(f"{f.reference} ({'no date' if f.start is None else 'dated ' + f.start.text})" for f, _ in counted[:3])
        return Outcome(Tri.UNKNOWN, f"no {params.label} record has a date surely on or before {ctx.as_of.isoformat()}: {shown}", evidence)
    diagnosed = _diagnosis_span(sure, maybe)
    first = window.first_day(ctx.as_of)
    verdict = within(diagnosed, first, ctx.as_of)
    if verdict is Tri.NOT_MET:
        return Outcome(Tri.NOT_MET, f"{params.label} dated {diagnosed.text}, before {first.isoformat()} (more than {window.describe()} before {ctx.as_of.isoformat()})", evidence)
    if verdict is Tri.UNKNOWN:
        return Outcome(Tri.UNKNOWN, f"{params.label} dated {diagnosed.text}: partial dates leave open whether it is within {window.describe()} of {ctx.as_of.isoformat()}", evidence)
    for rule in params.unknown_when_earlier:
        earlier = [
            (f, c)
            for f, c in coded_in(ctx.facts.conditions, [rule.valueset])
            if f.start is not None and f.start.first < first
        ]
        if earlier:
            return Outcome(Tri.UNKNOWN, f"{rule.reason}{_earliest(earlier)}; {params.label} dated {diagnosed.text}", evidence + tuple(condition_evidence(f, c) for f, c in earlier))
    return Outcome(Tri.MET, f"{params.label} dated {diagnosed.text}, within {window.describe()} of {ctx.as_of.isoformat()}", evidence)
