"""Lab kinds: thresholds, ×ULN ratios, creatinine clearance, and serology positivity.

Labs are open-world: no result in the look-back window is unknown, never not_met.
"Recent" is the most recent result dated in [D - lookback, D]; when that result cannot
be read (unit not convertible, no number), the part is unknown with the reason rather
than falling back to an older value that the newest one may contradict.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Literal

from cds.engine.context import EvaluationContext
from cds.engine.kinds.registry import Params, kind
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence, Outcome
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


def recent(ctx: EvaluationContext, analyte: str, lookback_days: int) -> LabResult | None:
    """The most recent result of an analyte dated inside [D - lookback_days, D]."""
    start = ctx.days_before(lookback_days)
    # Results are oldest first: the search runs from the newest back.
    return next((r for r in reversed(ctx.facts.labs.get(analyte, ())) if r.day is not None and start <= r.day <= ctx.as_of), None)


def evidence_of(result: LabResult, shown: str | None = None) -> Evidence:
    """Evidence entry for one lab result."""
    return Evidence(result.reference, result.code, shown or result.describe(), result.day)


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
    result = recent(ctx, params.analyte, params.lookback_days)
    if result is None:
        return Outcome(Tri.UNKNOWN, f"no {params.label} result in the last {params.lookback_days} days")
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
        return Outcome(Tri.UNKNOWN, f"{params.label} {shown} on {result.day}: censored value cannot decide {rule}", evidence)
    status = Tri.MET if decided else Tri.NOT_MET
    verb = "is" if decided else "is not"
    return Outcome(status, f"{params.label} {shown} on {result.day} {verb} {rule}", evidence)


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
    result = recent(ctx, params.analyte, params.lookback_days)
    if result is None:
        return Outcome(Tri.UNKNOWN, f"no {params.label} result in the last {params.lookback_days} days")
    evidence = (evidence_of(result),)
    try:
        if result.ref_high is not None and result.ref_high > 0:
            uln = result.ref_high
            value = result.quantity if result.ref_high_unit == result.unit else result.in_unit(result.ref_high_unit or "")
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
        f"{params.label} {result.describe()} on {result.day} = {fmt(ratio)}×ULN ({uln_text}) {verb} {params.comparator} {fmt(params.ratio)}×ULN",
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
    if measured is not None:
        try:
            value = measured.in_unit(params.unit)
        except UnitError as exc:
            return Outcome(Tri.UNKNOWN, f"measured {params.label} {measured.describe()}: {exc}", (evidence_of(measured),))
        holds = COMPARE[params.comparator](value, params.value)
        verb = "is" if holds else "is not"
        return Outcome(
            Tri.MET if holds else Tri.NOT_MET,
            f"measured {params.label} {fmt(value)} {params.unit} on {measured.day} {verb} {rule}",
            (evidence_of(measured),),
        )
    return _cockcroft_gault(params, ctx, rule)


def _cockcroft_gault(params: ClearanceParams, ctx: EvaluationContext, rule: str) -> Outcome:
    """CG = (140 - age) × kg ÷ (72 × SCr mg/dL), × female factor; unknown sex tries both."""
    creatinine = recent(ctx, params.serum_creatinine, params.lookback_days)
    weight = recent(ctx, params.weight, params.weight_lookback_days)
    ages = ctx.facts.demographics.age_range(ctx.as_of)
    missing = [
        text
        for text, absent in (
            (f"serum creatinine in the last {params.lookback_days} days", creatinine is None),
            (f"body weight in the last {params.weight_lookback_days} days", weight is None),
            ("birth date", ages is None),
        )
        if absent
    ]
    if missing:
        return Outcome(Tri.UNKNOWN, f"no measured {params.label}, and no " + ", no ".join(missing) + " to estimate it")
    assert creatinine is not None and weight is not None and ages is not None
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
    results = [r for a in params.analytes for r in ctx.facts.labs.get(a, ()) if r.day is None or r.day <= ctx.as_of]
    if len(params.analytes) > 1:  # each analyte's results are in order already (extract_lab_results)
        results.sort(key=chronological)
    if params.select == "any_within":
        assert params.within_days is not None
        start = ctx.days_before(params.within_days)
        results = [r for r in results if r.day is not None and r.day >= start]
    span = f" in the last {params.within_days} days" if params.select == "any_within" else ""
    if not results:
        return Outcome(Tri.UNKNOWN, f"no {params.label} result{span}")
    read = [(r, classify(r, params.titer_positive_at.get(r.analyte), params.quantity_means_detected)) for r in results]
    if params.select == "most_recent":
        result, kind_ = read[-1]
        evidence = (evidence_of(result),)
        if kind_ is Positivity.POSITIVE:
            return Outcome(Tri.MET, f"most recent {params.label} positive ({result.describe()}, {result.day})", evidence)
        if kind_ is Positivity.NEGATIVE:
            return Outcome(Tri.NOT_MET, f"most recent {params.label} negative ({result.describe()}, {result.day})", evidence)
        return Outcome(Tri.UNKNOWN, f"most recent {params.label} is {kind_.value} ({result.describe()}, {result.day})", evidence)
    positives = [r for r, k in read if k is Positivity.POSITIVE]
    negatives = [r for r, k in read if k is Positivity.NEGATIVE]
    if positives:
        shown = ", ".join(f"{r.describe()} on {r.day}" for r in positives[-3:])
        return Outcome(Tri.MET, f"{params.label} positive{span}: {shown}", tuple(evidence_of(r) for r in positives))
    unreadable = [r for r in results if r.problem]
    if negatives and unreadable:
        return Outcome(Tri.UNKNOWN, f"{params.label} negative{span} except unreadable result(s): {unreadable[-1].problem}", tuple(evidence_of(r) for r in unreadable[-3:]))
    if negatives:
        return Outcome(Tri.NOT_MET, f"{params.label} negative{span} ({len(negatives)} result(s), none positive)", tuple(evidence_of(r) for r in negatives[-3:]))
    return Outcome(Tri.UNKNOWN, f"{params.label} results{span} are neither positive nor negative", tuple(evidence_of(r) for r in results[-3:]))
