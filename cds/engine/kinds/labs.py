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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from pydantic import model_validator

from cds.engine.context import EvaluationContext
from cds.engine.kinds import inputs
from cds.engine.kinds.registry import Params, kind
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence, Outcome
from cds.engine.windows import within
from fhir_mappings.censored import Comparator, decides
from fhir_mappings.dates import Span
from fhir_mappings.labs import LabResult, display_of
from fhir_mappings.units import UnitError

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


def agreed(outcomes: Sequence[Outcome], ambiguity: str, open_results: Sequence[LabResult] = ()) -> Outcome:
    """The first outcome when all agree on the status; else unknown, saying why and naming
    `open_results`, the results that leave it open. Their words are built only then: the
    usual single result never needs them."""
    if len({o.status for o in outcomes}) == 1:
        return outcomes[0]
    evidence = tuple(dict.fromkeys(e for o in outcomes for e in o.evidence))
    if open_results:
        ambiguity += ": " + ", ".join(f"{r.describe()} dated {r.dated}" for r in open_results)
    return Outcome(Tri.UNKNOWN, ambiguity, evidence)


def over_recent(found: Recent, decide: Callable[[LabResult], Outcome], missing: Outcome, label: str) -> Outcome:
    """Judge each result that may be the most recent; `missing` stands for "no result".

    Decided only when every possibility gives the same status (ground rules, "Partial
    dates"): the usual single result decides alone.
    """
    outcomes = [decide(r) for r in found.results]
    if found.maybe_none or not outcomes:
        outcomes.append(missing)
    return agreed(outcomes, f"partial or missing dates leave open which {label} result is the most recent in the window, or whether one is", found.results[:3])


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


# A censor's direction after a decreasing function (an estimate from creatinine).
_OPPOSITE = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


class ComparedParams(Params):
    """A value compared with a threshold in the unit the trial states, from inputs dated
    in the look-back window."""

    label: str
    comparator: Comparator
    value: Decimal
    unit: str
    lookback_days: int = 90


class PercentOf(Params):
    """A count derived as total × percent ÷ 100 from results of one collection (G11:
    ANC = WBC × neutrophils % ÷ 100, same effectiveDateTime)."""

    total_analyte: str
    percent_analyte: str


class LabThresholdParams(Params):
    """Most recent result compared with a threshold in the unit the trial states.

    `derived_from`: with no result of the analyte in the window, the value derived from
    the most recent pair of total and percent results of one collection, said so in
    the reason.
    """

    analyte: str
    label: str
    comparator: Comparator
    value: Decimal
    unit: str | None = None
    lookback_days: int = 90
    when_no_code: str | None = None
    derived_from: PercentOf | None = None

    @model_validator(mode="after")
    def _derived_needs_unit(self) -> LabThresholdParams:
        if self.derived_from is not None and self.unit is None:
            raise ValueError("derived_from needs the unit the threshold is compared in")
        return self

    def analytes_read(self) -> frozenset[str]:
        """The analyte compared, and the inputs of its derivation."""
        derived = {self.derived_from.total_analyte, self.derived_from.percent_analyte} if self.derived_from else set()
        return frozenset({self.analyte, *derived})


def no_result(label: str, lookback_days: int) -> Outcome:
    """A lab input with no result in its window: unknown, with no data at all."""
    return Outcome(Tri.UNKNOWN, f"no {label} result in the last {lookback_days} days", no_data=True)


@kind("lab_threshold", LabThresholdParams, reads=("Observation",), has_input=inputs.lab_results)
def lab_threshold(params: LabThresholdParams, ctx: EvaluationContext) -> Outcome:
    """Met when the recent value (reported, else derived) satisfies `comparator value unit`."""
    if params.analyte not in ctx.facts.coded_analytes:
        unread = f"no coded {params.label} result can be read from the record: confirm at screening"
        return Outcome(Tri.UNKNOWN, params.when_no_code or unread, no_data=True)
    found = recent(ctx, params.analyte, params.lookback_days)
    missing = no_result(params.label, params.lookback_days)
    if params.derived_from is not None and (found.maybe_none or not found.results):
        missing = _derived(params, params.derived_from, ctx)
    return over_recent(found, lambda r: _threshold(params, r), missing, params.label)


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
    return compared(f"{params.label} {shown} on {result.dated}", value, result.comparator, params.comparator, params.value, unit, (evidence_of(result),))


def compared(
    shown: str, value: Decimal, censor: str | None, comparator: str, threshold: Decimal, unit: str, evidence: tuple[Evidence, ...]
) -> Outcome:
    """A value (as `shown`) against `comparator threshold unit`; a censored value decides
    only when its bound lies on one side."""
    decided = decides(comparator, censor, value, threshold)
    rule = f"{comparator} {fmt(threshold)}{unit}"
    if decided is None:
        return Outcome(Tri.UNKNOWN, f"{shown}: censored value cannot decide {rule}", evidence)
    verb = "is" if decided else "is not"
    return Outcome(Tri.MET if decided else Tri.NOT_MET, f"{shown} {verb} {rule}", evidence)


def _unitless(result: LabResult) -> Decimal:
    if result.quantity is None:
        raise UnitError("no numeric value")
    return result.quantity


def same_collection(first: Sequence[LabResult], second: Sequence[LabResult]) -> list[tuple[LabResult, LabResult]]:
    """Pairs of results of one collection (same effectiveDateTime, or same effectivePeriod),
    ordered as `first`; the latest of `second` for a collection that has several."""
    partners = {r.collected: r for r in second if any(r.collected[1:])}
    return [(r, partners[r.collected]) for r in first if r.collected in partners]


def _derived(params: LabThresholdParams, spec: PercentOf, ctx: EvaluationContext) -> Outcome:
    """With no reported result: total × percent ÷ 100 from the most recent collection that has both."""
    assert params.unit is not None
    pairs = dict(same_collection(ctx.facts.labs.get(spec.total_analyte, ()), ctx.facts.labs.get(spec.percent_analyte, ())))
    found = recent_results(list(pairs), ctx.days_before(params.lookback_days), ctx.as_of)
    missing = Outcome(
        Tri.UNKNOWN,
        f"no {params.label} result in the last {params.lookback_days} days, and none to derive from {display_of(spec.total_analyte)} and {display_of(spec.percent_analyte)} of one collection",
        no_data=True,
    )
    return over_recent(found, lambda total: _percent_of(params, total, pairs[total]), missing, f"{params.label} (derived)")



def _percent_of(params: LabThresholdParams, total: LabResult, percent: LabResult) -> Outcome:
    """One derived value against the threshold, "derived" in the reason."""
    assert params.unit is not None
    evidence = (evidence_of(total), evidence_of(percent))
    try:
        value = total.in_unit(params.unit) * percent.in_unit("%") / 100
    except UnitError as exc:
        return Outcome(Tri.UNKNOWN, f"{params.label} cannot be derived: {exc}", evidence)
    censor = total.comparator or percent.comparator
    shown = f"{params.label} {fmt(value)} {params.unit} derived from {total.describe()} × {percent.describe()} on {total.dated}"
    return compared(shown, value, censor, params.comparator, params.value, f" {params.unit}", evidence)


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


@kind("lab_uln_ratio", LabUlnParams, reads=("Observation",), has_input=inputs.lab_results)
def lab_uln_ratio(params: LabUlnParams, ctx: EvaluationContext) -> Outcome:
    """×ULN from referenceRange.high in the same unit, else the stated default ULN."""
    missing = no_result(params.label, params.lookback_days)
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
    censor = result.comparator
    shown = f"{params.label} {result.describe()} on {result.dated} = {censor or ''}{fmt(ratio)}×ULN ({uln_text})"
    return compared(shown, ratio, censor, params.comparator, params.ratio, "×ULN", evidence)


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


@kind("creatinine_clearance", ClearanceParams, reads=("Observation", "Patient"), has_input=inputs.lab_results)
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
    censor = measured.comparator
    shown = f"measured {params.label} {censor or ''}{fmt(value)} {params.unit} on {measured.dated}"
    return compared(shown, value, censor, params.comparator, params.value, f" {params.unit}", (evidence_of(measured),))


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
        return Outcome(Tri.UNKNOWN, f"no measured {params.label}, and no " + ", no ".join(missing) + " to estimate it", no_data=True)
    assert ages is not None
    outcomes = [_estimate(params, ctx, c, w, ages, rule) for c, w in itertools.product(creatinine.results, weight.results)]
    if creatinine.maybe_none or weight.maybe_none:
        outcomes.append(Outcome(Tri.UNKNOWN, f"no measured {params.label}, and perhaps no input to estimate it"))
    return agreed(
        outcomes,
        f"cannot estimate {params.label}: partial or missing dates leave open which serum creatinine or body weight is the most recent, or whether one is in its window",
        (*creatinine.results, *weight.results)[:4],
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
    # The estimate falls as creatinine rises: a creatinine "<0.5" gives an estimate above the one at 0.5.
    censor = _OPPOSITE.get(creatinine.comparator or "")
    verdicts = {decides(params.comparator, censor, e, params.value) for e in estimates}
    low, high = min(estimates), max(estimates)
    shown = fmt(low) if low == high else f"{fmt(low)}-{fmt(high)}"
    basis = (f"estimated (Cockcroft-Gault, {params.formula_source}) {params.label} {censor or ''}{shown} {params.unit} "
             f"from creatinine {creatinine.comparator or ''}{fmt(scr)} mg/dL, weight {fmt(kg)} kg")
    if None in verdicts:
        return Outcome(Tri.UNKNOWN, f"{basis}: censored creatinine cannot decide {rule}", evidence)
    if len(verdicts) > 1:
        return Outcome(Tri.UNKNOWN, f"{basis}: sex or age unknown and the estimate falls on both sides of {rule}", evidence)
    holds = verdicts.pop()
    verb = "is" if holds else "is not"
    return Outcome(Tri.MET if holds else Tri.NOT_MET, f"{basis} {verb} {rule}", evidence)
