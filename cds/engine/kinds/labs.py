"""Lab kinds: thresholds, ×ULN ratios, creatinine clearance, and serology positivity.

Labs are open-world: no result in the look-back window is unknown, never not_met.
"Recent" is the most recent result dated in [D - lookback, D]; when that result cannot
be read (unit not convertible, no number), the part is unknown with the reason rather
than falling back to an older value that the newest one may contradict.

A partial date stands for every day of its period, and a result with no date could
fall on any day: when such dates leave open which result is the most recent, or
whether any falls in the window, each result that may be the most recent is judged,
and the part is decided only when they all agree (ground rules, "Partial dates").
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from cds.engine.context import EvaluationContext
from cds.engine.kinds.registry import Params, kind
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence, Outcome
from cds.engine.windows import within
from fhir_mappings.dates import Span
from fhir_mappings.labs import LabResult, chronological
from fhir_mappings.positivity import Positivity, classify
from fhir_mappings.units import UnitError

Comparator = Literal["<", "<=", ">", ">="]
COMPARE: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


# The longest period a partial date can mean (a leap year): a result dated further
# back than this before another cannot reach it.
LONGEST_SPAN = timedelta(days=366)


@dataclass(frozen=True)
class Recent:
    """The results that may be the most recent in a window, the surest first.

    One result when the dates decide (the usual case); more when partial or missing
    dates leave the order open. `maybe_none`: no result is surely in the window, so it
    may hold none at all.
    """

    results: tuple[LabResult, ...]
    maybe_none: bool


def _reach(day: date) -> date:
    """The earliest first day of a partial date that can still reach `day`."""
    return day - LONGEST_SPAN if day > date.min + LONGEST_SPAN else date.min


def recent_results(results: Sequence[LabResult], first: date, last: date) -> Recent:
    """The results (oldest first, as extracted) that may be the most recent in [first, last].

    The newest result surely inside the window is the anchor. Its rivals are the results
    that may be inside and may be later than it: a partial date that reaches the
    anchor's first day, or a result with no date (it could be on any day). Exact dates
    on one day keep their order by timestamp, as before.
    """
    undated = list(itertools.takewhile(lambda r: r.when is None, results))  # sorted first
    anchor: LabResult | None = None
    anchor_span: Span | None = None
    rivals: list[LabResult] = []
    reach = _reach(first)
    for result in reversed(results[len(undated):]):
        span = result.when
        assert span is not None
        if span.first < reach:
            break
        if anchor_span is not None and span.exact and anchor_span.exact:
            continue  # an exact date before (or on the day of) an exact anchor
        verdict = within(span, first, last)
        if verdict is Tri.NOT_MET:
            continue
        if anchor_span is None and verdict is Tri.MET:
            anchor, anchor_span, reach = result, span, _reach(span.first)
        elif anchor_span is None or span.last >= anchor_span.first:
            rivals.append(result)
    rivals.extend(reversed(undated))
    if anchor is None:
        return Recent(tuple(rivals), True)
    return Recent((anchor, *rivals), False)


def recent(ctx: EvaluationContext, analyte: str, lookback_days: int) -> Recent:
    """The results of an analyte that may be the most recent dated inside [D - lookback_days, D]."""
    return recent_results(ctx.facts.labs.get(analyte, ()), ctx.days_before(lookback_days), ctx.as_of)


def agreed(outcomes: Sequence[Outcome], ambiguity: str) -> Outcome:
    """The first outcome when all agree on the status; else unknown, saying why."""
    if len({o.status for o in outcomes}) == 1:
        return outcomes[0]
    evidence = tuple(dict.fromkeys(e for o in outcomes for e in o.evidence))
    return Outcome(Tri.UNKNOWN, ambiguity, evidence)


def over_recent(found: Recent, decide: Callable[[LabResult], Outcome], missing: Outcome, label: str) -> Outcome:
    """Judge each result that may be the most recent; `missing` stands for "no result".

    Decided only when every possibility gives the same status (ground rules, "Partial
    dates"): the usual single result decides alone.
    """
    outcomes = [decide(r) for r in found.results]
    if found.maybe_none or not outcomes:
        outcomes.append(missing)
    shown = ", ".join(f"{r.describe()} dated {r.dated}" for r in found.results[:3])
    return agreed(outcomes, f"partial or missing dates leave open which {label} result is the most recent in the window, or whether one is: {shown}")


def evidence_of(result: LabResult, shown: str | None = None) -> Evidence:
    """Evidence entry for one lab result (a partial date is named in its value)."""
    value = shown or result.describe()
    if result.when is not None and not result.when.exact:
        value += f" (dated {result.when.text})"
    return Evidence(result.reference, result.code, value, result.day)


def fmt(value: Decimal) -> str:
    """A decimal as a clinician reads it: no exponent, at most 2 decimals."""
    rounded = value.quantize(Decimal("0.01")) if value != value.to_integral_value() else value
    return f"{rounded.normalize():f}"


def _decides(comparator: str, censor: str | None, value: Decimal, threshold: Decimal) -> bool | None:
    """Compare a result with a threshold; a censored result ("<5", ">1000") decides
    only when its bound lies on one side of the threshold, else None."""
    if censor in ("<", "<="):
        return comparator in ("<", "<=") if value <= threshold else None
    if censor in (">", ">="):
        return comparator in (">", ">=") if value >= threshold else None
    return COMPARE[comparator](value, threshold)


class LabThresholdParams(Params):
    """Most recent result compared with a threshold in the unit the trial states."""

    analyte: str
    label: str
    comparator: Comparator
    value: Decimal
    unit: str | None = None
    lookback_days: int = 90
    when_no_code: str | None = None

    def analytes_read(self) -> frozenset[str]:
        """The analyte compared."""
        return frozenset({self.analyte})


@kind("lab_threshold", LabThresholdParams, reads=("Observation",))
def lab_threshold(params: LabThresholdParams, ctx: EvaluationContext) -> Outcome:
    """Met when the recent value satisfies `comparator value unit`."""
    if params.analyte not in ctx.facts.coded_analytes:
        return Outcome(Tri.UNKNOWN, params.when_no_code or f"no code is configured for {params.label}")
    missing = Outcome(Tri.UNKNOWN, f"no {params.label} result in the last {params.lookback_days} days")
    return over_recent(recent(ctx, params.analyte, params.lookback_days), lambda r: _threshold(params, r), missing, params.label)


def _threshold(params: LabThresholdParams, result: LabResult) -> Outcome:
    """One result against the threshold."""
    try:
        value = result.in_unit(params.unit) if params.unit else _unitless(result)
    except UnitError as exc:
        return Outcome(Tri.UNKNOWN, f"{params.label} {result.describe()}: {exc}", (evidence_of(result),))
    unit = f" {params.unit}" if params.unit else ""
    shown = f"{fmt(value)}{unit}"
    if result.unit and params.unit and result.unit != params.unit:
        shown = f"{result.describe()} = {shown}"
    decided = _decides(params.comparator, result.comparator, value, params.value)
    rule = f"{params.comparator} {fmt(params.value)}{unit}"
    evidence = (evidence_of(result),)
    if decided is None:
        return Outcome(Tri.UNKNOWN, f"{params.label} {shown} on {result.dated}: censored value cannot decide {rule}", evidence)
    status = Tri.MET if decided else Tri.NOT_MET
    verb = "is" if decided else "is not"
    return Outcome(status, f"{params.label} {shown} on {result.dated} {verb} {rule}", evidence)


def _unitless(result: LabResult) -> Decimal:
    if result.quantity is None:
        raise UnitError("no numeric value")
    return result.quantity


class DefaultUln(Params):
    """The ULN used when a result has no reference range, with its source."""

    value: Decimal
    unit: str
    source: str


class LabUlnParams(Params):
    """Recent value as a multiple of the upper limit of normal."""

    analyte: str
    label: str
    comparator: Comparator = ">="
    ratio: Decimal
    default_uln: DefaultUln
    lookback_days: int = 90

    def analytes_read(self) -> frozenset[str]:
        """The analyte compared with its ULN."""
        return frozenset({self.analyte})


@kind("lab_uln_ratio", LabUlnParams, reads=("Observation",))
def lab_uln_ratio(params: LabUlnParams, ctx: EvaluationContext) -> Outcome:
    """×ULN from referenceRange.high in the same unit, else the stated default ULN."""
    missing = Outcome(Tri.UNKNOWN, f"no {params.label} result in the last {params.lookback_days} days")
    return over_recent(recent(ctx, params.analyte, params.lookback_days), lambda r: _uln_ratio(params, r), missing, params.label)


def _uln_ratio(params: LabUlnParams, result: LabResult) -> Outcome:
    """One result as a multiple of its ULN."""
    evidence = (evidence_of(result),)
    if result.value.ref_high_problem:  # the lab sent its own ULN, in a unit that cannot be read
        return Outcome(Tri.UNKNOWN, f"{params.label} {result.describe()}: reference range {result.value.ref_high_problem}", evidence)
    try:
        if result.ref_high is not None and result.ref_high > 0:
            uln = result.ref_high
            value = result.quantity if result.ref_high_unit == result.unit and not result.problem else result.in_unit(result.ref_high_unit or "")
            uln_text = f"ULN {fmt(uln)} {result.ref_high_unit or result.unit} from the lab's range"
        else:
            uln = params.default_uln.value
            value = result.in_unit(params.default_uln.unit)
            uln_text = f"default ULN {fmt(uln)} {params.default_uln.unit}, no reference range sent"
    except UnitError as exc:
        return Outcome(Tri.UNKNOWN, f"{params.label} {result.describe()}: {exc}", evidence)
    if value is None:
        return Outcome(Tri.UNKNOWN, f"{params.label} result has no numeric value", evidence)
    ratio = value / uln
    holds = COMPARE[params.comparator](ratio, params.ratio)
    verb = "is" if holds else "is not"
    return Outcome(
        Tri.MET if holds else Tri.NOT_MET,
        f"{params.label} {result.describe()} on {result.dated} = {fmt(ratio)}×ULN ({uln_text}) {verb} {params.comparator} {fmt(params.ratio)}×ULN",
        evidence,
    )


class ClearanceParams(Params):
    """Measured clearance first; else Cockcroft-Gault from creatinine, age, sex, weight."""

    label: str
    comparator: Comparator
    value: Decimal
    unit: str
    measured: str
    serum_creatinine: str
    weight: str
    lookback_days: int = 90
    weight_lookback_days: int = 365
    female_factor: Decimal
    formula_source: str

    def analytes_read(self) -> frozenset[str]:
        """Measured clearance, and the inputs of the estimate."""
        return frozenset({self.measured, self.serum_creatinine, self.weight})


@kind("creatinine_clearance", ClearanceParams, reads=("Observation", "Patient"))
def creatinine_clearance(params: ClearanceParams, ctx: EvaluationContext) -> Outcome:
    """Met when clearance (measured, else estimated and said so) satisfies the rule."""
    rule = f"{params.comparator} {fmt(params.value)} {params.unit}"
    measured = recent(ctx, params.measured, params.lookback_days)
    if not measured.results:
        return _cockcroft_gault(params, ctx, rule)
    estimate = _cockcroft_gault(params, ctx, rule) if measured.maybe_none else Outcome(Tri.UNKNOWN, "")
    return over_recent(measured, lambda m: _measured(params, m, rule), estimate, f"measured {params.label}")


def _measured(params: ClearanceParams, measured: LabResult, rule: str) -> Outcome:
    """One measured clearance against the rule."""
    try:
        value = measured.in_unit(params.unit)
    except UnitError as exc:
        return Outcome(Tri.UNKNOWN, f"measured {params.label} {measured.describe()}: {exc}", (evidence_of(measured),))
    holds = COMPARE[params.comparator](value, params.value)
    verb = "is" if holds else "is not"
    return Outcome(
        Tri.MET if holds else Tri.NOT_MET,
        f"measured {params.label} {fmt(value)} {params.unit} on {measured.dated} {verb} {rule}",
        (evidence_of(measured),),
    )


def _cockcroft_gault(params: ClearanceParams, ctx: EvaluationContext, rule: str) -> Outcome:
    """CG = (140 - age) × kg ÷ (72 × SCr mg/dL), × female factor; unknown sex tries both."""
    creatinine = recent(ctx, params.serum_creatinine, params.lookback_days)
    weight = recent(ctx, params.weight, params.weight_lookback_days)
    ages = ctx.facts.demographics.age_range(ctx.as_of)
    missing = [
        text
        for text, absent in (
            (f"serum creatinine in the last {params.lookback_days} days", not creatinine.results),
            (f"body weight in the last {params.weight_lookback_days} days", not weight.results),
            ("birth date", ages is None),
        )
        if absent
    ]
    if missing:
        return Outcome(Tri.UNKNOWN, f"no measured {params.label}, and no " + ", no ".join(missing) + " to estimate it")
    assert ages is not None
    outcomes = [_estimate(params, ctx, c, w, ages, rule) for c, w in itertools.product(creatinine.results, weight.results)]
    if creatinine.maybe_none or weight.maybe_none:
        outcomes.append(Outcome(Tri.UNKNOWN, f"no measured {params.label}, and perhaps no input to estimate it"))
    shown = ", ".join(f"{r.describe()} dated {r.dated}" for r in (*creatinine.results, *weight.results)[:4])
    return agreed(
        outcomes,
        f"cannot estimate {params.label}: partial or missing dates leave open which serum creatinine or body weight is the most recent, or whether one is in its window: {shown}",
    )


def _estimate(params: ClearanceParams, ctx: EvaluationContext, creatinine: LabResult, weight: LabResult, ages: tuple[int, int], rule: str) -> Outcome:
    """The Cockcroft-Gault estimate from one creatinine and one weight."""
    evidence = (evidence_of(creatinine), evidence_of(weight))
    try:
        scr = creatinine.in_unit("mg/dL")
        kg = weight.in_unit("kg")
    except UnitError as exc:
        return Outcome(Tri.UNKNOWN, f"cannot estimate {params.label}: {exc}", evidence)
    if scr <= 0:
        return Outcome(Tri.UNKNOWN, f"cannot estimate {params.label}: creatinine {creatinine.describe()}", evidence)
    gender = ctx.facts.demographics.gender
    factors = {"female": [params.female_factor], "male": [Decimal(1)]}.get(gender or "", [params.female_factor, Decimal(1)])
    estimates = [(140 - age) * kg / (72 * scr) * f for age in ages for f in factors]
    verdicts = {COMPARE[params.comparator](e, params.value) for e in estimates}
    low, high = min(estimates), max(estimates)
    shown = fmt(low) if low == high else f"{fmt(low)}-{fmt(high)}"
    basis = f"estimated (Cockcroft-Gault, {params.formula_source}) {params.label} {shown} {params.unit} from creatinine {fmt(scr)} mg/dL, weight {fmt(kg)} kg"
    if len(verdicts) > 1:
        return Outcome(Tri.UNKNOWN, f"{basis}: sex or age unknown and the estimate falls on both sides of {rule}", evidence)
    holds = verdicts.pop()
    verb = "is" if holds else "is not"
    return Outcome(Tri.MET if holds else Tri.NOT_MET, f"{basis} {verb} {rule}", evidence)


class SerologyParams(Params):
    """Positivity of one or more analytes: any ever, the most recent, or any in a window.

    `titer_positive_at` gives, per analyte, the titer denominator from which a titer is
    positive (ANA 1:80 -> 80); an analyte without one decides titers only by
    interpretation or text.
    """

    analytes: list[str]
    label: str
    select: Literal["any_ever", "most_recent", "any_within"]
    within_days: int | None = None
    titer_positive_at: dict[str, Decimal] = {}
    quantity_means_detected: bool = False

    def analytes_read(self) -> frozenset[str]:
        """Every analyte whose results are read."""
        return frozenset(self.analytes)


@kind("serology", SerologyParams, reads=("Observation",))
def serology(params: SerologyParams, ctx: EvaluationContext) -> Outcome:
    """Met when positive per `select`; equivocal results count as neither."""
    results = [r for a in params.analytes for r in ctx.facts.labs.get(a, ())]
    if len(params.analytes) > 1:  # each analyte's results are in order already (extract_lab_results)
        results.sort(key=chronological)

    def read(result: LabResult) -> Positivity:
        return classify(result, params.titer_positive_at.get(result.analyte), params.quantity_means_detected)

    if params.select == "most_recent":
        missing = Outcome(Tri.UNKNOWN, f"no {params.label} result")
        found = recent_results(results, date.min, ctx.as_of)
        return over_recent(found, lambda r: _most_recent(params, r, read(r)), missing, params.label)
    first = date.min
    span = ""
    if params.select == "any_within":
        assert params.within_days is not None
        first = ctx.days_before(params.within_days)
        span = f" in the last {params.within_days} days"
    sure, perhaps = _in_window(results, first, ctx.as_of, undated_count=params.select == "any_ever")
    if not sure and not perhaps:
        return Outcome(Tri.UNKNOWN, f"no {params.label} result{span}")
    kinds = {id(r): read(r) for r in (*sure, *perhaps)}
    positives = [r for r in sure if kinds[id(r)] is Positivity.POSITIVE]
    if positives:
        shown = ", ".join(f"{r.describe()} on {r.dated}" for r in positives[-3:])
        return Outcome(Tri.MET, f"{params.label} positive{span}: {shown}", tuple(evidence_of(r) for r in positives))
    maybe_positive = [r for r in perhaps if kinds[id(r)] is Positivity.POSITIVE]
    if maybe_positive:
        shown = ", ".join(f"{r.describe()} dated {r.dated}" for r in maybe_positive[-3:])
        return Outcome(
            Tri.UNKNOWN,
            f"{params.label} positive on a date that may fall outside the window{span or ' (up to ' + ctx.as_of.isoformat() + ')'}: {shown}",
            tuple(evidence_of(r) for r in maybe_positive),
        )
    unreadable = [r for r in (*sure, *perhaps) if r.problem and kinds[id(r)] is Positivity.NO_SIGNAL]
    negatives = [r for r in sure if kinds[id(r)] is Positivity.NEGATIVE]
    if negatives and unreadable:
        return Outcome(Tri.UNKNOWN, f"{params.label} negative{span} except unreadable result(s): {unreadable[-1].problem}", tuple(evidence_of(r) for r in unreadable[-3:]))
    if negatives:
        return Outcome(Tri.NOT_MET, f"{params.label} negative{span} ({len(negatives)} result(s), none positive)", tuple(evidence_of(r) for r in negatives[-3:]))
    if not sure:
        shown = ", ".join(f"{r.describe()} dated {r.dated}" for r in perhaps[-3:])
        return Outcome(Tri.UNKNOWN, f"no {params.label} result surely dated{span or ' on or before ' + ctx.as_of.isoformat()}: {shown}", tuple(evidence_of(r) for r in perhaps[-3:]))
    return Outcome(Tri.UNKNOWN, f"{params.label} results{span} are neither positive nor negative", tuple(evidence_of(r) for r in sure[-3:]))


def _in_window(results: Sequence[LabResult], first: date, last: date, undated_count: bool) -> tuple[list[LabResult], list[LabResult]]:
    """(results surely dated in [first, last], results that may be): a partial date may
    straddle an edge; a result with no date surely counts only where `undated_count`."""
    sure: list[LabResult] = []
    perhaps: list[LabResult] = []
    for result in results:
        if result.when is None:
            (sure if undated_count else perhaps).append(result)
            continue
        verdict = within(result.when, first, last)
        if verdict is Tri.MET:
            sure.append(result)
        elif verdict is Tri.UNKNOWN:
            perhaps.append(result)
    return sure, perhaps


def _most_recent(params: SerologyParams, result: LabResult, kind_: Positivity) -> Outcome:
    """The most recent result's positivity as the part's status."""
    evidence = (evidence_of(result),)
    if kind_ is Positivity.POSITIVE:
        return Outcome(Tri.MET, f"most recent {params.label} positive ({result.describe()}, {result.dated})", evidence)
    if kind_ is Positivity.NEGATIVE:
        return Outcome(Tri.NOT_MET, f"most recent {params.label} negative ({result.describe()}, {result.dated})", evidence)
    return Outcome(Tri.UNKNOWN, f"most recent {params.label} is {kind_.value} ({result.describe()}, {result.dated})", evidence)
