"""`ratio_threshold`: a reported ratio, else one derived from two results of one
collection, compared with a threshold (portfolio G9, the urine protein/creatinine ratio).

- The reported ratios of the listed analytes are read as "recent" results are (the most
  recent in the window). With none in the window, the ratio is derived from the most
  recent collection that has both a numerator and a denominator result (the same
  effectiveDateTime, or the same effectivePeriod), each converted to its stated unit.
- A ratio with no unit (none, `1`, `{ratio}`) could be mg/mg or mg/g: unknown, "ratio
  without unit".
- `quoted_analytes` never decide (a spot ratio is never a 24-h one) but the reason quotes
  the most recent of them in the window, for the coordinator.
"""

from __future__ import annotations


from cds.engine.context import EvaluationContext
from cds.engine.kinds.labs import (
    ComparedParams,
    compared,
    evidence_of,
    fmt,
    no_result,
    over_recent,
    recent,
    recent_results,
    same_collection,
)
from cds.engine.kinds import inputs
from cds.engine.kinds.registry import Params, kind
from cds.engine.logic import Tri
from cds.engine.outcome import Outcome
from fhir_mappings.labs import LabResult, chronological, display_of
from fhir_mappings.units import UnitError, is_dimensionless


class RatioOf(Params):
    """numerator ÷ denominator, each first converted to its unit (24-h protein g/(24.h)
    ÷ 24-h creatinine g/(24.h) = g/g)."""

    numerator_analyte: str
    numerator_unit: str
    denominator_analyte: str
    denominator_unit: str


class RatioThresholdParams(ComparedParams):
    """Recent reported ratio (else derived) against `comparator value unit`."""

    analytes: list[str]
    derived_from: RatioOf | None = None
    quoted_analytes: list[str] = []

    def analytes_read(self) -> frozenset[str]:
        """The reported ratios, the derivation's inputs and the quoted ratios."""
        derived = {self.derived_from.numerator_analyte, self.derived_from.denominator_analyte} if self.derived_from else set()
        return frozenset({*self.analytes, *derived, *self.quoted_analytes})


def _reported(params: RatioThresholdParams, result: LabResult) -> Outcome:
    """One reported ratio against the threshold."""
    evidence = (evidence_of(result),)
    shown = f"{params.label} {result.describe()} on {result.dated}"
    if result.value.quantity is not None and is_dimensionless(result.unit):
        return Outcome(Tri.UNKNOWN, f"{shown}: ratio without unit (it could be mg/mg or mg/g)", evidence)
    try:
        value = result.in_unit(params.unit)
    except UnitError as exc:
        return Outcome(Tri.UNKNOWN, f"{shown}: {exc}", evidence)
    if result.unit != params.unit:
        shown = f"{params.label} {result.describe()} = {fmt(value)} {params.unit} on {result.dated}"
    return compared(shown, value, result.comparator, params.comparator, params.value, f" {params.unit}", evidence)


def _derived(params: RatioThresholdParams, spec: RatioOf, ctx: EvaluationContext) -> Outcome:
    """With no reported ratio in the window: the ratio of the most recent collection with both parts."""
    pairs = dict(same_collection(ctx.facts.labs.get(spec.numerator_analyte, ()), ctx.facts.labs.get(spec.denominator_analyte, ())))
    found = recent_results(list(pairs), ctx.days_before(params.lookback_days), ctx.as_of)
    missing = Outcome(
        Tri.UNKNOWN,
        f"no {params.label} result in the last {params.lookback_days} days, and no {display_of(spec.numerator_analyte)} "
        f"with {display_of(spec.denominator_analyte)} of one collection to derive it",
        no_data=True,
    )
    return over_recent(found, lambda top: _ratio(params, spec, top, pairs[top]), missing, f"{params.label} (derived)")



def _ratio(params: RatioThresholdParams, spec: RatioOf, top: LabResult, bottom: LabResult) -> Outcome:
    """One derived ratio against the threshold."""
    evidence = (evidence_of(top), evidence_of(bottom))
    try:
        numerator = top.in_unit(spec.numerator_unit)
        denominator = bottom.in_unit(spec.denominator_unit)
    except UnitError as exc:
        return Outcome(Tri.UNKNOWN, f"{params.label} cannot be derived: {exc}", evidence)
    if denominator <= 0 or top.comparator or bottom.comparator:
        return Outcome(Tri.UNKNOWN, f"{params.label} cannot be derived from {top.describe()} ÷ {bottom.describe()}", evidence)
    value = numerator / denominator
    shown = f"{params.label} {fmt(value)} {params.unit} derived from {top.describe()} ÷ {bottom.describe()} on {top.dated}"
    return compared(shown, value, None, params.comparator, params.value, f" {params.unit}", evidence)


def _quote(params: RatioThresholdParams, ctx: EvaluationContext, outcome: Outcome) -> Outcome:
    """The outcome with the most recent non-counting ratio of the window named in its reason."""
    quoted = sorted((r for a in params.quoted_analytes for r in recent(ctx, a, params.lookback_days).results), key=chronological)
    if not quoted:
        return outcome
    latest = quoted[-1]
    note = f"{display_of(latest.analyte)} {latest.describe()} on {latest.dated} does not count as {params.label}"
    return Outcome(outcome.status, f"{outcome.reason}; {note}", (*outcome.evidence, evidence_of(latest)), outcome.clears_on, outcome.no_data)


@kind("ratio_threshold", RatioThresholdParams, reads=("Observation",), has_input=inputs.lab_results)
def ratio_threshold(params: RatioThresholdParams, ctx: EvaluationContext) -> Outcome:
    """Met when the recent ratio (reported, else derived) satisfies the rule."""
    results = sorted((r for a in params.analytes for r in ctx.facts.labs.get(a, ())), key=chronological)
    found = recent_results(results, ctx.days_before(params.lookback_days), ctx.as_of)
    missing = no_result(params.label, params.lookback_days)
    if params.derived_from is not None and (found.maybe_none or not found.results):
        missing = _derived(params, params.derived_from, ctx)
    return _quote(params, ctx, over_recent(found, lambda r: _reported(params, r), missing, params.label))
