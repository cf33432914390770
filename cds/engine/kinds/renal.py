"""`renal_function`: renal function per 1.73 m² of body surface (portfolio G10).

Every input must be effective in the look-back window ending on D. The first step that
yields a value decides; within a step, the most recent result. A criterion names the
steps it allows (a page may restrict them):

1. `normalised_analyte`: a measured clearance already per 1.73 m²;
2. `measured`: a measured clearance in mL/min × 1.73 ÷ BSA (Mosteller, from the most
   recent height on or before D and the most recent weight in its own window); no
   height or no weight: the step yields nothing;
3. `reported_analyte`: a reported eGFR; a value in mL/min under an eGFR code is read
   per 1.73 m² (the code fixes the normalisation), and the reason says so;
4. `computed`: CKD-EPI 2021 from the most recent serum creatinine, age in completed
   years at D and Patient.gender; gender other or unknown: the step yields nothing.

Steps 3-4 are "estimated" in the reason. A step whose most recent input cannot be read
makes the part unknown rather than passing to the next step (the "recent" rule: the
newest value must not be overruled by an older or a weaker one). With no step yielding
a value the part is unknown with no data (a `fallback` may then decide).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, model_validator

from cds.engine.context import EvaluationContext
from cds.engine.kinds.labs import (
    ComparedParams,
    agreed,
    compared,
    evidence_of,
    fmt,
    over_recent,
    recent,
    recent_results,
)
from cds.engine.kinds import inputs
from cds.engine.kinds.registry import Params, kind
from cds.engine.logic import Tri
from cds.engine.outcome import Outcome
from fhir_mappings.labs import LabResult, equations
from fhir_mappings.units import UnitError, same_kind

Rest = Callable[[], Outcome]


def _known_equation(name: str) -> str:
    if name not in equations():
        raise ValueError(f"unknown equation {name!r} (labs.yaml equations: {', '.join(sorted(equations()))})")
    return name


EquationName = Annotated[str, AfterValidator(_known_equation)]


class MeasuredWithBsa(Params):
    """Step 2's inputs: a measured clearance, height and weight, and the normalisation."""

    clearance_analyte: str
    height_analyte: str
    weight_analyte: str
    weight_lookback_days: int = 365
    normalisation: EquationName


class Computed(Params):
    """Step 4's inputs: serum creatinine and the equation."""

    creatinine_analyte: str
    equation: EquationName


class RenalFunctionParams(ComparedParams):
    """Renal function per 1.73 m² against `comparator value unit`, by the steps given."""

    normalised_analyte: str | None = None
    measured: MeasuredWithBsa | None = None
    reported_analyte: str | None = None
    computed: Computed | None = None

    @model_validator(mode="after")
    def _some_step(self) -> RenalFunctionParams:
        if not any((self.normalised_analyte, self.measured, self.reported_analyte, self.computed)):
            raise ValueError("give at least one step: normalised_analyte, measured, reported_analyte or computed")
        return self

    def analytes_read(self) -> frozenset[str]:
        """The inputs of every step allowed."""
        names = {self.normalised_analyte, self.reported_analyte}
        if self.measured is not None:
            names |= {self.measured.clearance_analyte, self.measured.height_analyte, self.measured.weight_analyte}
        if self.computed is not None:
            names.add(self.computed.creatinine_analyte)
        return frozenset(n for n in names if n is not None)


def _rule(params: RenalFunctionParams) -> str:
    return f"{params.comparator} {fmt(params.value)} {params.unit}"


def _judge(params: RenalFunctionParams, shown: str, value: Decimal, evidence: tuple, censor: str | None = None) -> Outcome:
    return compared(shown, value, censor, params.comparator, params.value, f" {params.unit}", evidence)


def _reported(params: RenalFunctionParams, result: LabResult, what: str) -> Outcome:
    """One reported value (step 1 or 3) against the rule."""
    evidence = (evidence_of(result),)
    try:
        value = result.in_unit(params.unit)
    except UnitError as exc:
        return Outcome(Tri.UNKNOWN, f"{what} {result.describe()} on {result.dated}: {exc}", evidence)
    shown = f"{what} {fmt(value)} {params.unit} on {result.dated}"
    if result.unit is not None and not same_kind(result.unit, params.unit):
        shown += f" (reported in {result.unit}; the eGFR code fixes the normalisation, so it is read per 1.73 m²)"
    return _judge(params, shown, value, evidence, result.comparator)


def _single(params: RenalFunctionParams, ctx: EvaluationContext, analyte: str, what: str, rest: Rest) -> Outcome:
    """A step read from one analyte's most recent result (steps 1 and 3)."""
    found = recent(ctx, analyte, params.lookback_days)
    if not found.results:
        return rest()
    missing = rest() if found.maybe_none else Outcome(Tri.UNKNOWN, "")
    return over_recent(found, lambda r: _reported(params, r, what), missing, what)


def _normalised(params: RenalFunctionParams, spec: MeasuredWithBsa, clearance: LabResult, height: LabResult, weight: LabResult) -> Outcome:
    """Step 2: clearance × reference area ÷ Mosteller BSA."""
    equation = equations()[spec.normalisation]
    evidence = (evidence_of(clearance), evidence_of(height), evidence_of(weight))
    try:
        ml_min = clearance.in_unit(equation["clearance_unit"])
        cm = height.in_unit(equation["height_unit"])
        kg = weight.in_unit(equation["weight_unit"])
    except UnitError as exc:
        return Outcome(Tri.UNKNOWN, f"measured creatinine clearance cannot be normalised: {exc}", evidence)
    if cm <= 0 or kg <= 0:
        return Outcome(Tri.UNKNOWN, f"measured creatinine clearance cannot be normalised: height {height.describe()}, weight {weight.describe()}", evidence)
    bsa = (cm * kg / Decimal(equation["mosteller_divisor"])).sqrt()
    value = ml_min * Decimal(equation["reference_area_m2"]) / bsa
    shown = (
        f"measured creatinine clearance {clearance.describe()} on {clearance.dated} × {equation['reference_area_m2']} ÷ BSA {fmt(bsa)} m² "
        f"(Mosteller, height {height.describe()}, weight {weight.describe()}) = {fmt(value)} {params.unit}"
    )
    return _judge(params, shown, value, evidence, clearance.comparator)


def _with_bsa(params: RenalFunctionParams, ctx: EvaluationContext, spec: MeasuredWithBsa, rest: Rest) -> Outcome:
    """Step 2; it yields nothing without a clearance, a height or a weight."""
    clearances = recent(ctx, spec.clearance_analyte, params.lookback_days)
    heights = recent_results(ctx.facts.labs.get(spec.height_analyte, ()), date.min, ctx.as_of)
    weights = recent(ctx, spec.weight_analyte, spec.weight_lookback_days)
    if not (clearances.results and heights.results and weights.results):
        return rest()
    outcomes = [
        _normalised(params, spec, c, h, w)
        for c, h, w in itertools.product(clearances.results, heights.results, weights.results)
    ]
    if clearances.maybe_none or heights.maybe_none or weights.maybe_none:
        outcomes.append(rest())
    return agreed(outcomes, "partial or missing dates leave open which clearance, height or weight is the most recent, or whether one is in its window")


def _ckd_epi(params: RenalFunctionParams, spec: Computed, creatinine: LabResult, gender: str, ages: tuple[int, int]) -> Outcome:
    """Step 4 from one creatinine; an age range from a partial birthDate decides only if both ends agree."""
    equation = equations()[spec.equation]
    evidence = (evidence_of(creatinine),)
    try:
        scr = creatinine.in_unit(equation["creatinine_unit"])
    except UnitError as exc:
        return Outcome(Tri.UNKNOWN, f"eGFR cannot be computed: {exc}", evidence)
    if scr <= 0 or creatinine.comparator:
        return Outcome(Tri.UNKNOWN, f"eGFR cannot be computed from creatinine {creatinine.describe()}", evidence)
    sex = equation[gender]
    kappa, alpha = Decimal(sex["kappa"]), Decimal(sex["alpha"])
    ratio = scr / kappa
    factor = Decimal(equation["female_factor"]) if gender == "female" else Decimal(1)
    base = Decimal(equation["constant"]) * min(ratio, Decimal(1)) ** alpha * max(ratio, Decimal(1)) ** Decimal(equation["high_exponent"]) * factor
    estimates = sorted({base * Decimal(equation["age_base"]) ** age for age in set(ages)})
    verdicts = {_judge(params, "", e, evidence).status for e in estimates}
    shown_value = fmt(estimates[0]) if len(estimates) == 1 else f"{fmt(estimates[0])}-{fmt(estimates[-1])}"
    age_text = str(ages[0]) if ages[0] == ages[1] else f"{ages[0]}-{ages[1]}"
    shown = (
        f"estimated (CKD-EPI 2021 from creatinine {fmt(scr)} {equation['creatinine_unit']} on {creatinine.dated}, "
        f"age {age_text}, {gender}) {params.label} {shown_value} {params.unit}"
    )
    if len(verdicts) > 1:
        return Outcome(Tri.UNKNOWN, f"{shown}: the birth date leaves the estimate on both sides of {_rule(params)}", evidence)
    return _judge(params, shown, estimates[0], evidence)


def _computed(params: RenalFunctionParams, ctx: EvaluationContext, spec: Computed, rest: Rest) -> Outcome:
    """Step 4; it yields nothing without a creatinine, a birthDate, or a gender of male or female."""
    creatinine = recent(ctx, spec.creatinine_analyte, params.lookback_days)
    gender = ctx.facts.demographics.gender
    ages = ctx.facts.demographics.age_range(ctx.as_of)
    if not creatinine.results or ages is None or gender not in ("female", "male"):
        return rest()
    outcomes = [_ckd_epi(params, spec, c, gender, ages) for c in creatinine.results]
    if creatinine.maybe_none:
        outcomes.append(rest())
    return agreed(outcomes, "partial or missing dates leave open which serum creatinine is the most recent, or whether one is in the window")


def _steps(params: RenalFunctionParams, ctx: EvaluationContext) -> list[Callable[[Rest], Outcome]]:
    steps: list[Callable[[Rest], Outcome]] = []
    if params.normalised_analyte is not None:
        analyte = params.normalised_analyte
        steps.append(lambda rest: _single(params, ctx, analyte, "measured creatinine clearance per 1.73 m²", rest))
    if params.measured is not None:
        measured = params.measured
        steps.append(lambda rest: _with_bsa(params, ctx, measured, rest))
    if params.reported_analyte is not None:
        reported = params.reported_analyte
        steps.append(lambda rest: _single(params, ctx, reported, f"estimated (reported eGFR) {params.label}", rest))
    if params.computed is not None:
        computed = params.computed
        steps.append(lambda rest: _computed(params, ctx, computed, rest))
    return steps


@kind("renal_function", RenalFunctionParams, reads=("Observation", "Patient"), has_input=inputs.lab_results)
def renal_function(params: RenalFunctionParams, ctx: EvaluationContext) -> Outcome:
    """Met when the first step that yields a value satisfies the rule."""
    none = Outcome(Tri.UNKNOWN, f"no input for {params.label} in the last {params.lookback_days} days", no_data=True)
    return _run_steps(_steps(params, ctx), 0, none)


def _run_steps(steps: list[Callable[[Rest], Outcome]], index: int, none: Outcome) -> Outcome:
    """Step `index`, given the rest as a callable. A module function, not a closure that
    names itself: such a closure is a reference cycle that would keep the patient's facts
    alive until the cyclic collector runs."""
    if index == len(steps):
        return none
    return steps[index](lambda: _run_steps(steps, index + 1, none))
