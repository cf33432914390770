"""`latest_class`: the latest dated set among class-coded Conditions decides.

For a disease recorded by class (lupus nephritis by biopsy class), the class that
counts is the most recent one: the class-coded Conditions (not refuted) dated, by onset
else recordedDate, on or before D, and among them the set dated on the latest class
date. The part is met when that set holds a `qualifying` class whose Condition is
active (with `status: active`), confirmed (for an inclusion), and, with a window,
dated inside it; not_met when the latest set holds only other classes (the reason names
them), or its qualifying Condition is not active, or there is no record at all (closed
world). Unknown when only `unclassified` records exist, when the class records carry no
date, and when partial or missing dates leave open which set is the latest and the
candidates disagree.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import model_validator

from cds.engine.context import EvaluationContext
from cds.engine.kinds.conditions import UnknownWhen, condition_evidence
from cds.engine.kinds.params import WindowParams
from cds.engine.kinds import inputs
from cds.engine.kinds.registry import Params, kind
from cds.engine.logic import Tri
from cds.engine.outcome import Outcome
from cds.engine.windows import on_or_before, within
from fhir_mappings.conditions import ConditionFact
from fhir_mappings.terminology import Coding, coded_in


class ClassCode(Params):
    """One class: the value set of its codes, and the name a reason shows it by."""

    valueset: str
    name: str


class LatestClassParams(WindowParams):
    """Class value sets with the name each class is shown by, the qualifying ones, and
    what an unclassified record means."""

    label: str
    classes: list[ClassCode]
    qualifying_valuesets: list[str]
    status: Literal["any", "active"] = "active"
    unclassified: UnknownWhen | None = None

    @model_validator(mode="after")
    def _qualifying_are_classes(self) -> LatestClassParams:
        stray = [name for name in self.qualifying_valuesets if name not in {c.valueset for c in self.classes}]
        if stray:
            raise ValueError(f"qualifying value sets {stray} are not among the classes")
        return self


class _Record:
    """A class-coded Condition with the classes its codes name."""

    def __init__(self, fact: ConditionFact, coding: Coding, params: LatestClassParams) -> None:
        self.fact = fact
        self.coding = coding
        self.classes = [c.name for c in params.classes if c.valueset in fact.valuesets]
        self.qualifies = not fact.valuesets.isdisjoint(params.qualifying_valuesets)


def _shown(records: list[_Record]) -> str:
    names = sorted({name for r in records for name in r.classes})
    return ", ".join(names)


def _verdict(records: list[_Record], params: LatestClassParams, ctx: EvaluationContext) -> tuple[Tri, str, date | None]:
    """What one candidate latest set says: status, reason, and the date a met part
    clears (its record leaves the window)."""
    when = records[0].fact.start.text if records[0].fact.start is not None else "an unknown date"
    qualifying = [r for r in records if r.qualifies]
    if not qualifying:
        return Tri.NOT_MET, f"latest {params.label} ({when}): {_shown(records)}", None
    if params.status == "active":
        qualifying = [r for r in qualifying if r.fact.active]
        if not qualifying:
            statuses = ", ".join(sorted({r.fact.clinical_status or "abated" for r in records if r.qualifies}))
            return Tri.NOT_MET, f"latest {params.label} ({when}): {_shown(records)}, not active ({statuses})", None
    confirmed = [r for r in qualifying if r.fact.confirmed or ctx.serves == "exclusion"]
    if not confirmed:
        return Tri.UNKNOWN, f"latest {params.label} ({when}): {_shown(qualifying)}, diagnosis not confirmed", None
    window = params.window
    if window is None:
        return Tri.MET, f"latest {params.label} ({when}): {_shown(confirmed)}", None
    first = window.first_day(ctx.as_of)
    verdicts = {within(r.fact.start, first, ctx.as_of) if r.fact.start is not None else Tri.UNKNOWN for r in confirmed}
    inside = Tri.MET if Tri.MET in verdicts else (Tri.UNKNOWN if Tri.UNKNOWN in verdicts else Tri.NOT_MET)
    span = window.describe()
    if inside is Tri.MET:
        last = max(r.fact.start.last for r in confirmed if r.fact.start is not None)
        return Tri.MET, f"latest {params.label} {_shown(confirmed)} dated {when}, within {span}", window.clears_on(last)
    verb = "may or may not be" if inside is Tri.UNKNOWN else "is not"
    return inside, f"latest {params.label} {_shown(confirmed)} dated {when} {verb} within {span}", None


def _candidates(dated: list[_Record]) -> list[list[_Record]]:
    """The sets that may be the latest-dated one: the records whose date may reach the
    latest first day; when partial dates leave their order open, each of them alone too."""
    latest = max(r.fact.start.first for r in dated if r.fact.start is not None)
    near = [r for r in dated if r.fact.start is not None and r.fact.start.last >= latest]
    if all(r.fact.start is not None and r.fact.start.exact for r in near):
        return [near]
    return [near, *([r] for r in near)]


@kind(
    "latest_class",
    LatestClassParams,
    reads=("Condition",),
    has_input=inputs.coded("conditions", lambda p: [*(c.valueset for c in p.classes), *([p.unclassified.valueset] if p.unclassified else [])]),
)
def latest_class(params: LatestClassParams, ctx: EvaluationContext) -> Outcome:
    """Met when the latest-dated class set holds an active qualifying class."""
    records = [
        _Record(f, c, params)
        for f, c in coded_in(ctx.facts.conditions, [c.valueset for c in params.classes])
        if f.start is None or on_or_before(f.start, ctx.as_of) is not Tri.NOT_MET
    ]
    if not records:
        if params.unclassified is not None:
            other = coded_in(ctx.facts.conditions, [params.unclassified.valueset])
            if other:
                return Outcome(Tri.UNKNOWN, params.unclassified.reason, tuple(condition_evidence(f, c) for f, c in other))
        return Outcome(Tri.NOT_MET, f"no record of {params.label}")
    evidence = tuple(condition_evidence(r.fact, r.coding) for r in records)
    dated = [r for r in records if r.fact.start is not None and r.fact.start.last <= ctx.as_of]
    straddling = [r for r in records if r.fact.start is not None and r.fact.start.last > ctx.as_of]
    undated = [r for r in records if r.fact.start is None]
    if not dated:
        shown = ", ".join(f"{r.fact.reference} ({'no date' if r.fact.start is None else 'dated ' + r.fact.start.text})" for r in records[:3])
        return Outcome(Tri.UNKNOWN, f"{params.label} recorded without a date surely on or before {ctx.as_of.isoformat()}: {shown}", evidence)
    # A record whose partial date spans D may fall after it, and then leaves the latest set
    # to the records surely on or before D (ground rules, "Partial dates"; G1).
    candidates = _candidates(dated + straddling) + (_candidates(dated) if straddling else [])
    verdicts = [_verdict(s, params, ctx) for s in candidates]
    statuses = {v[0] for v in verdicts}
    status, reason, clears_on = verdicts[0]
    if len(statuses) > 1:
        return Outcome(Tri.UNKNOWN, f"partial dates leave open which {params.label} record is the latest: " + "; ".join(dict.fromkeys(v[1] for v in verdicts)), evidence)
    odd = [r for r in undated if _verdict([r], params, ctx)[0] is not status]
    if odd:
        named = ", ".join(f"{r.fact.reference} ({_shown([r])})" for r in odd[:3])
        return Outcome(Tri.UNKNOWN, f"{reason}; but {named} has no date and may be later", evidence)
    return Outcome(status, reason, evidence, clears_on if status is Tri.MET else None)
