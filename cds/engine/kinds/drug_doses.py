"""Dose kinds over a window before D: a stable dose (portfolio G5) and a dose per body
weight (G6), both on the daily doses of portfolio G4 (cds/engine/daily_doses.py).

Each day of the window has bounds on the group's dose. A rule decides only what the
bounds decide: a day is above a threshold when even its least dose is, two days differ
when their bounds do not meet (or one is surely none and the other surely some), and
the doses are stable when every day's dose is surely the same (one exact dose, or the
same record whose dose cannot be computed: a record's dose cannot change).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from pydantic import Field, model_validator

from cds.engine.context import EvaluationContext
from cds.engine.daily_doses import UNBOUNDED, ZERO, DayDose, DoseTable, dose_table
from cds.engine.kinds import inputs
from cds.engine.kinds.drug_parts import MEDICATION_TYPES, DoseParams, evidence_of
from cds.engine.kinds.labs import agreed, fmt, recent
from cds.engine.kinds.labs import evidence_of as lab_evidence
from cds.engine.kinds.params import WindowParams
from cds.engine.kinds.registry import kind
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence, Outcome
from cds.engine.windows import Window
from fhir_mappings.censored import COMPARE, Comparator
from fhir_mappings.labs import LabResult
from fhir_mappings.medications import Exposure
from fhir_mappings.units import UnitError

TENTH = Decimal("0.1")
# How many runs of one dose a reason lists before "...".
SHOWN_RUNS = 4


def _rounded(value: Decimal) -> Decimal:
    """A dose compared after rounding to 0.1 mg (G5); an unbounded one stays unbounded."""
    return value if value == UNBOUNDED else value.quantize(TENTH, rounding=ROUND_HALF_UP)


class _Threshold:
    """A comparator and value, judged over a day's bounds."""

    def __init__(self, comparator: Comparator, value: Decimal) -> None:
        self.compare = COMPARE[comparator]
        self.value = value
        self.upper = comparator in ("<", "<=")  # a ceiling: the least dose decides failing

    def holds(self, low: Decimal, high: Decimal) -> bool:
        """True for every dose in [low, high]."""
        return self.compare(high if self.upper else low, self.value)

    def fails(self, low: Decimal, high: Decimal) -> bool:
        """False for every dose in [low, high]."""
        return not self.compare(low if self.upper else high, self.value)


def _required_window(params: WindowParams) -> Window:
    window = params.window
    assert window is not None  # checked by the parameter models
    return window


def _records(days: Iterable[DayDose]) -> list[Exposure]:
    seen: dict[int, Exposure] = {}
    for day in days:
        for exposure in day.maybe:
            seen.setdefault(id(exposure), exposure)
    return list(seen.values())


def _problems(table: DoseTable, days: Iterable[DayDose]) -> str:
    """Why the days' doses are not known: each record's own reason, else that the records
    of one day cannot be ordered by their start and state different doses (G4)."""
    records = _records(days)
    named = dict.fromkeys(
        f"{e.reference} {e.label}: {table.problem(e) or 'date not exact'}"
        for e in records
        if table.problem(e) or e.start is None or e.partially_dated
    )
    if not named:
        shown = ", ".join(dict.fromkeys(f"{e.reference} ({e.label})" for e in records[:4]))
        return f"records that start on the same day give different doses, and nothing says which is the later: {shown}"
    return "; ".join(list(named)[:3]) + (f" and {len(named) - 3} more" if len(named) > 3 else "")


class StableDoseParams(DoseParams, WindowParams):
    """The group's daily (or weekly, `unit: mg/wk`) dose is the same on every day of the
    window (G5), and, with `comparator`/`value`, acceptable. `only_when_ongoing`: "if on
    the drug": met when no exposure of the group includes D."""

    unit: Literal["mg/d", "mg/wk"] = "mg/d"
    comparator: Comparator | None = None
    value: Decimal | None = None
    only_when_ongoing: bool = False

    @model_validator(mode="after")
    def _complete(self) -> StableDoseParams:
        if self.window is None or self.less_than:
            raise ValueError("stable_dose needs a window (within_days, within_weeks, ...), not less_than")
        if (self.comparator is None) != (self.value is None):
            raise ValueError("give comparator and value together")
        return self


class _Stability:
    """The days of the window read for G5: each day's rounded bounds and identity."""

    def __init__(self, days: dict[date, DayDose], per: Decimal) -> None:
        self.days = days
        self.per = per

    def bounds(self, day: DayDose) -> tuple[Decimal, Decimal]:
        """The day's dose in the part's unit (mg/day, or mg/week = daily × 7)."""
        return day.low * self.per, day.high * self.per

    def identity(self, day: DayDose) -> object | None:
        """Equal for two days whose doses are surely equal; None when it cannot be told."""
        if day.exact:
            return ("mg", _rounded(day.low * self.per))
        return day.key

    def changed(self) -> bool:
        """Whether two days have different known doses (G5), compared after rounding."""
        return len({_rounded(self.bounds(d)[0]) for d in self.days.values() if d.exact}) > 1

    def started_late(self, today: DayDose) -> bool:
        """Whether the drug, surely taken on D, was surely not taken on a day of the window."""
        return today.positive and any(d.exact and d.low == ZERO for d in self.days.values())

    def stable(self) -> bool:
        """Whether every day surely has the same dose."""
        identities = {self.identity(d) for d in self.days.values()}
        return len(identities) == 1 and None not in identities

    def run_start(self, last: date) -> date:
        """The first day of the dose on `last`: where the days of that same dose begin."""
        wanted = self.identity(self.days[last])
        start = last
        while start - timedelta(days=1) in self.days and self.identity(self.days[start - timedelta(days=1)]) == wanted:
            start -= timedelta(days=1)
        return start

    def describe(self, unit: str) -> str:
        """The runs of one dose, oldest first ("0 mg/wk 2026-10-28..2026-11-09, 15 mg/wk from 2026-11-10")."""
        runs: list[tuple[date, date, str]] = []
        for when, day in self.days.items():
            low, high = self.bounds(day)
            text = f"{fmt(_rounded(low))} {unit}" if day.exact else "dose unknown"
            if runs and runs[-1][2] == text and self.identity(day) == self.identity(self.days[runs[-1][1]]):
                runs[-1] = (runs[-1][0], when, text)
            else:
                runs.append((when, when, text))
        shown = [f"{text} {a}" if a == b else f"{text} {a}..{b}" for a, b, text in runs[-SHOWN_RUNS:]]
        return ("..., " if len(runs) > SHOWN_RUNS else "") + ", ".join(shown)


@kind("stable_dose", StableDoseParams, reads=MEDICATION_TYPES, has_input=inputs.drugs(lambda p: p.groups))
def stable_dose(params: StableDoseParams, ctx: EvaluationContext) -> Outcome:
    """Met when every day of the window has the same acceptable dose; not_met on a day
    surely unacceptable or two days surely different; else unknown."""
    window = _required_window(params)
    first = window.first_day(ctx.as_of)
    table = dose_table(ctx, params.groups, params.policy, first)
    reading = _Stability(table.days, Decimal(7) if params.unit == "mg/wk" else Decimal(1))
    today = table.days[ctx.as_of]
    span = f"the {window.describe()} before {ctx.as_of}"
    evidence = evidence_of(_records(table.days.values()))
    if params.only_when_ongoing and today.zero:
        return Outcome(Tri.MET, f"no {params.label} on {ctx.as_of}", evidence)
    threshold = None if params.comparator is None or params.value is None else _Threshold(params.comparator, params.value)
    rule = "" if threshold is None or params.value is None else f" {params.comparator} {fmt(params.value)} {params.unit}"
    unacceptable = [d for d, v in table.days.items() if threshold is not None and threshold.fails(*reading.bounds(v))]
    changed = reading.changed() or (params.only_when_ongoing and reading.started_late(today))
    if unacceptable or changed:
        outcome = _not_stable(params, reading, threshold, ctx.as_of, window, unacceptable, span, evidence)
    elif reading.stable():
        outcome = _stable(params, reading, threshold, today, rule, span, table, evidence)
    else:
        outcome = Outcome(Tri.UNKNOWN, f"{params.label} dose over {span} cannot be compared: {_problems(table, table.days.values())}", evidence)
    if params.only_when_ongoing and not today.positive and outcome.status is not Tri.MET:
        return Outcome(Tri.UNKNOWN, f"perhaps no {params.label} on {ctx.as_of}; {outcome.reason}", evidence)
    return outcome


def _not_stable(
    params: StableDoseParams,
    reading: _Stability,
    threshold: _Threshold | None,
    as_of: date,
    window: Window,
    unacceptable: list[date],
    span: str,
    evidence: tuple[Evidence, ...],
) -> Outcome:
    """Not met; clears (G5) on the first day of the dose on D + the window, when the dose on
    D is acceptable: the first D' whose whole window has that one dose."""
    today = reading.days[as_of]
    acceptable_today = reading.identity(today) is not None and (threshold is None or threshold.holds(*reading.bounds(today)))
    clears_on = window.clears_on(reading.run_start(as_of) - timedelta(days=1)) if acceptable_today else None
    if unacceptable:
        rule = f"{params.comparator} {fmt(params.value or ZERO)} {params.unit}"
        reason = f"{params.label} not {rule} on {unacceptable[-1]} ({reading.describe(params.unit)})"
    else:
        reason = f"{params.label} dose changed in {span} ({reading.describe(params.unit)})"
    return Outcome(Tri.NOT_MET, reason, evidence, clears_on)


def _stable(
    params: StableDoseParams,
    reading: _Stability,
    threshold: _Threshold | None,
    today: DayDose,
    rule: str,
    span: str,
    table: DoseTable,
    evidence: tuple[Evidence, ...],
) -> Outcome:
    """Every day has the same dose: met when it is acceptable (or nothing is asked of it)."""
    low, high = reading.bounds(today)
    if today.exact:
        dose = "none" if low == ZERO else f"{fmt(_rounded(low))} {params.unit}"
        if threshold is None or threshold.holds(low, high):
            return Outcome(Tri.MET, f"{params.label} stable over {span}: {dose}", evidence)
        return Outcome(Tri.NOT_MET, f"{params.label} stable over {span} at {dose}, not{rule}", evidence)
    problems = _problems(table, [today])
    if threshold is None:
        return Outcome(Tri.MET, f"{params.label} stable over {span} (one record throughout; its dose is not computed: {problems})", evidence)
    if threshold.fails(low, high):
        return Outcome(Tri.NOT_MET, f"{params.label} stable over {span}, not{rule}", evidence)
    reason = f"{params.label} stable over {span}, but its dose is not known, so whether it is{rule} is unknown: {problems}"
    return Outcome(Tri.UNKNOWN, reason, evidence)


class DosePerWeightParams(DoseParams, WindowParams):
    """A day of the window whose dose per kg of body weight satisfies comparator/value (G6).

    The weight is the most recent `weight_analyte` result (body weight: LOINC 29463-7,
    3141-9) effective in [D − weight_lookback_days, D], in kg ([lb_av] and g convert);
    with none, a day with a dose is unknown (a day with none needs no weight).
    """

    comparator: Comparator
    value: Decimal = Field(gt=0)
    unit: Literal["mg/kg/d"] = "mg/kg/d"
    weight_analyte: str = "body_weight"  # checked by the loader, as every `*_analyte`
    weight_lookback_days: int = Field(default=365, ge=0)

    @model_validator(mode="after")
    def _complete(self) -> DosePerWeightParams:
        if self.window is None:
            raise ValueError("dose_per_weight needs a window (within_days, within_weeks, ...)")
        return self

    def analytes_read(self) -> frozenset[str]:
        """The body weight."""
        return frozenset({self.weight_analyte})


@kind("dose_per_weight", DosePerWeightParams, reads=(*MEDICATION_TYPES, "Observation"), has_input=inputs.drugs(lambda p: p.groups))
def dose_per_weight(params: DosePerWeightParams, ctx: EvaluationContext) -> Outcome:
    """Met on any day whose mg/kg surely satisfies the rule; not_met when none can."""
    window = _required_window(params)
    table = dose_table(ctx, params.groups, params.policy, window.first_day(ctx.as_of))
    span = f"the {window.describe()} before {ctx.as_of}"
    dosed = {d: v for d, v in table.days.items() if not v.zero}
    if not dosed:
        return Outcome(Tri.NOT_MET, f"no {params.label} in {span}")
    found = recent(ctx, params.weight_analyte, params.weight_lookback_days)
    options: list[LabResult | None] = [*found.results]
    if found.maybe_none or not found.results:
        options.append(None)
    outcomes = [_per_weight(params, ctx, table, dosed, weight, window, span) for weight in options]
    return agreed(outcomes, f"partial or missing dates leave open which body weight is the most recent in the last {params.weight_lookback_days} days", found.results[:3])


def _per_weight(
    params: DosePerWeightParams,
    ctx: EvaluationContext,
    table: DoseTable,
    dosed: dict[date, DayDose],
    weight: LabResult | None,
    window: Window,
    span: str,
) -> Outcome:
    """The rule with one reading of the body weight (None: no weight in its window)."""
    evidence = evidence_of(_records(dosed.values()))
    if weight is None:
        reason = f"{params.label} in {span}, and no body weight in the last {params.weight_lookback_days} days to divide it by"
        return Outcome(Tri.UNKNOWN, reason, evidence)
    evidence = (lab_evidence(weight), *evidence)
    try:
        kg = weight.in_unit("kg")
    except UnitError as exc:
        return Outcome(Tri.UNKNOWN, f"body weight {weight.describe()}: {exc}", evidence)
    if kg <= 0:
        return Outcome(Tri.UNKNOWN, f"body weight {weight.describe()} cannot divide a dose", evidence)
    threshold = _Threshold(params.comparator, params.value)
    rule = f"{params.comparator} {fmt(params.value)} {params.unit}"
    per_kg = {d: (v.low / kg, v.high / kg) for d, v in dosed.items()}
    basis = f"weight {fmt(kg)} kg on {weight.dated}"
    met = [d for d, bounds in per_kg.items() if threshold.holds(*bounds)]
    if met:
        day = met[-1]
        last = max(d for d, bounds in per_kg.items() if not threshold.fails(*bounds))
        ongoing = last == ctx.as_of and any(e.end is None or e.end > ctx.as_of for e in dosed[last].maybe)
        clears_on = None if ongoing else window.clears_on(last)
        reason = f"{params.label} {fmt(per_kg[day][0])} mg/kg/day on {day} ({fmt(dosed[day].low)} mg/day, {basis}) is {rule}"
        return Outcome(Tri.MET, reason, evidence, clears_on)
    if all(dosed[d].exact and threshold.fails(*bounds) for d, bounds in per_kg.items()):
        highest = max(per_kg.items(), key=lambda item: item[1][1])
        reason = f"{params.label} at most {fmt(highest[1][1])} mg/kg/day in {span} ({basis}), not {rule}"
        return Outcome(Tri.NOT_MET, reason, evidence)
    open_days = [dosed[d] for d, bounds in per_kg.items() if not (dosed[d].exact and threshold.fails(*bounds))]
    return Outcome(Tri.UNKNOWN, f"{params.label} per kg in {span} ({basis}) cannot be told: {_problems(table, open_days)}", evidence)

