"""`hospitalisation`: an inpatient stay for a reason, overlapping a window before D
(portfolio G16, "hospitalisation for infection").

An Encounter counts when its class or type is in `encounter_valuesets` (inpatient), its
status is not cancelled or entered-in-error (fact extraction drops those), it is linked
to the reason (a reasonCode in `reason_valuesets`, or a linked Condition in them:
reasonReference, diagnosis.condition, or Condition.encounter), and its period overlaps
the window. The period runs from start to end; with no end, to D if the status is
in-progress, else the start day only. An inpatient Encounter with no link does not
count; one with no readable period could fall in the window, so it makes the part
unknown. `clears_on`: the first day whose window misses the last day of every such stay
(none while one is in progress).
"""

from __future__ import annotations

from pydantic import model_validator

from cds.engine.context import EvaluationContext
from cds.engine.kinds.params import WindowParams
from cds.engine.kinds import inputs
from cds.engine.kinds.registry import kind
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence, Outcome
from cds.engine.windows import overlaps
from fhir_mappings.dates import Span
from fhir_mappings.encounters import EncounterFact


class HospitalisationParams(WindowParams):
    """Which encounters are stays (class or type value sets), which reasons count, and the window."""

    label: str
    encounter_valuesets: list[str]
    reason_valuesets: list[str]

    @model_validator(mode="after")
    def _needs_window(self) -> HospitalisationParams:
        if self.window is None:
            raise ValueError("hospitalisation needs a window (within_days, ...)")
        return self


def _reasons(encounter: EncounterFact, wanted: frozenset[str]) -> list[str]:
    """What links the stay to a wanted reason: its reason codes or its linked Conditions."""
    found = [c.display or c.code for c in encounter.reasons if not encounter.reason_valuesets.isdisjoint(wanted) and c.display]
    if not encounter.reason_valuesets.isdisjoint(wanted) and not found:
        found = ["reason code"]
    found += [
        f"{(c.codings[0].display or c.codings[0].code) if c.codings else 'condition'} ({c.reference})"
        for c in encounter.linked
        if not c.valuesets.isdisjoint(wanted)
    ]
    return found


def _end(encounter: EncounterFact) -> Span | None:
    """The stay's last day: its end; with none, ongoing (None) if in progress, else its start."""
    if encounter.end is not None:
        return encounter.end
    return None if encounter.ongoing else encounter.start


def _evidence(encounter: EncounterFact, reasons: list[str]) -> Evidence:
    coding = encounter.codings[0]
    start = encounter.start.text if encounter.start is not None else "no readable date"
    end = _end(encounter)
    period = start if end is None and not encounter.ongoing else f"{start} to {'ongoing' if end is None else end.text}"
    shown = f"{coding.display or coding.code} {period} for {', '.join(reasons)}"
    return Evidence(encounter.reference, coding.token, shown, encounter.start.first if encounter.start else None)


@kind("hospitalisation", HospitalisationParams, reads=("Encounter", "Condition"), has_input=inputs.coded("encounters", lambda p: p.encounter_valuesets))
def hospitalisation(params: HospitalisationParams, ctx: EvaluationContext) -> Outcome:
    """Met by a linked inpatient stay overlapping the window."""
    window = params.window
    assert window is not None
    first = window.first_day(ctx.as_of)
    stays = frozenset(params.encounter_valuesets)
    wanted = frozenset(params.reason_valuesets)
    inside: list[tuple[EncounterFact, list[str]]] = []
    perhaps: list[tuple[EncounterFact, list[str]]] = []
    for encounter in ctx.facts.encounters:
        if encounter.valuesets.isdisjoint(stays):
            continue
        reasons = _reasons(encounter, wanted)
        if not reasons:
            continue
        if encounter.start is None:
            perhaps.append((encounter, reasons))
            continue
        verdict = overlaps(encounter.start, _end(encounter), first, ctx.as_of)
        if verdict is Tri.MET:
            inside.append((encounter, reasons))
        elif verdict is Tri.UNKNOWN:
            perhaps.append((encounter, reasons))
    span = window.describe()
    if inside:
        ends = [_end(e) for e, _ in inside + perhaps]
        undated = any(e.start is None for e, _ in perhaps)
        clears_on = None
        if not undated and all(end is not None for end in ends):
            clears_on = window.clears_on(min(max(end.last for end in ends if end is not None), ctx.as_of))
        when = "ongoing" if clears_on is None and any(e.ongoing for e, _ in inside) else "within " + span
        return Outcome(Tri.MET, f"{params.label} ({when})", tuple(_evidence(e, r) for e, r in inside), clears_on)
    if perhaps:
        named = ", ".join(e.reference for e, _ in perhaps[:3])
        return Outcome(Tri.UNKNOWN, f"{params.label} that may fall within {span}: {named}", tuple(_evidence(e, r) for e, r in perhaps))
    return Outcome(Tri.NOT_MET, f"no {params.label} within {span}")
