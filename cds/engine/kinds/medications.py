"""Medication kinds: exposure inside a washout window, high-dose steroid courses, a stable regimen."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from pydantic import Field

from cds.engine.context import EvaluationContext
from cds.engine.kinds.labs import fmt
from cds.engine.kinds.registry import Params, kind
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence, Outcome
from fhir_mappings.dates import add_months
from fhir_mappings.drugs import drug_catalog
from fhir_mappings.medications import MEDICATION_RECORD_TYPES, Exposure

MEDICATION_TYPES = (*MEDICATION_RECORD_TYPES, "Medication")


def _in_groups(exposures: Iterable[Exposure], groups: list[str], systemic_only: bool = False) -> list[Exposure]:
    wanted = frozenset(groups)
    return [e for e in exposures if (e.systemic or not systemic_only) and not e.groups.isdisjoint(wanted)]


def _evidence(exposure: Exposure, ctx: EvaluationContext) -> Evidence:
    span = f"{exposure.start} to {'ongoing' if exposure.end is None else exposure.end}"
    dose = f", {fmt(exposure.daily_mg)} mg/day" if exposure.daily_mg is not None else ""
    return Evidence(exposure.reference, exposure.code, f"{exposure.label} ({span}{dose})", exposure.start)


class DrugExposureParams(Params):
    """Drug groups and a window of days or calendar months before D."""

    groups: list[str]
    label: str
    within_days: int | None = None
    within_months: int | None = None


def _window(params: DrugExposureParams, as_of: date) -> tuple[date, str]:
    if params.within_months is not None:
        return add_months(as_of, -params.within_months), f"{params.within_months} months"
    assert params.within_days is not None
    return as_of - timedelta(days=params.within_days), f"{params.within_days} days"


def _clears(params: DrugExposureParams, last_day: date) -> date:
    """L + window + 1 day: the first day the last exposure day lies outside the window."""
    if params.within_months is not None:
        return add_months(last_day, params.within_months) + timedelta(days=1)
    assert params.within_days is not None
    return last_day + timedelta(days=params.within_days + 1)


@kind("drug_exposure", DrugExposureParams, reads=MEDICATION_TYPES)
def drug_exposure(params: DrugExposureParams, ctx: EvaluationContext) -> Outcome:
    """Met when an exposure of the groups overlaps [D - window, D]; clears after the last one."""
    start, span = _window(params, ctx.as_of)
    exposures = _in_groups(ctx.merged_exposures, params.groups)
    inside = [e for e in exposures if e.start is not None and (e.end is None or e.end >= start)]
    if inside:
        ongoing = any(e.end is None or e.end >= ctx.as_of for e in inside)
        last = max(e.end for e in inside if e.end is not None) if not ongoing else None
        clears_on = _clears(params, last) if last is not None else None
        when = "ongoing" if ongoing else f"last exposure {last}"
        return Outcome(
            Tri.MET,
            f"{params.label} within {span} ({when})",
            tuple(_evidence(e, ctx) for e in inside),
            clears_on,
        )
    undated = [e for e in exposures if e.start is None]
    if undated:
        return Outcome(Tri.UNKNOWN, f"{params.label} recorded without dates", tuple(_evidence(e, ctx) for e in undated))
    return Outcome(Tri.NOT_MET, f"no record of {params.label} within {span}")


class SteroidCourseParams(Params):
    """A run of ≥ min_days consecutive days at ≥ min_mg_per_day prednisone-equivalent."""

    group: str
    label: str
    min_mg_per_day: Decimal = Field(gt=0)  # positive: a day without a steroid never counts
    min_days: int
    within_days: int


def _high_dose_runs(exposures: list[Exposure], first: date, last: date, threshold: Decimal) -> list[tuple[date, date]]:
    """Maximal runs of consecutive days in [first, last] whose prednisone-equivalent total,
    concurrent steroids added, is at or above the threshold.

    The total changes only where an exposure starts or stops, so it is summed at those
    days (a sweep) rather than day by day.
    """
    factors = drug_catalog().prednisone_factor
    change: dict[date, Decimal] = {}
    for e in exposures:
        assert e.start is not None and e.daily_mg is not None
        start = max(e.start, first)
        end = min(e.end if e.end is not None else last, last)
        if start > end:
            continue
        dose = e.daily_mg * factors.get(e.ingredient, Decimal(0))
        change[start] = change.get(start, Decimal(0)) + dose
        change[end + timedelta(days=1)] = change.get(end + timedelta(days=1), Decimal(0)) - dose
    runs: list[tuple[date, date]] = []
    total = Decimal(0)
    days = sorted(change)
    for day, following in zip(days, days[1:]):
        total += change[day]
        if total < threshold:
            continue
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], following - timedelta(days=1))
        else:
            runs.append((day, following - timedelta(days=1)))
    return runs


@kind("steroid_course", SteroidCourseParams, reads=MEDICATION_TYPES)
def steroid_course(params: SteroidCourseParams, ctx: EvaluationContext) -> Outcome:
    """Met when a high-dose run overlaps [D - within_days, D]; days after D never count."""
    window_start = ctx.days_before(params.within_days)
    first = window_start - timedelta(days=params.min_days - 1)
    steroids = [
        e
        for e in _in_groups(ctx.facts.exposures, [params.group], systemic_only=True)
        if e.start is not None and e.start <= ctx.as_of and (e.end is None or e.end >= first)
    ]
    dosed = [e for e in steroids if e.daily_mg is not None]
    runs = [
        (a, b)
        for a, b in _high_dose_runs(dosed, first, ctx.as_of, params.min_mg_per_day)
        if (b - a).days + 1 >= params.min_days and b >= window_start
    ]
    rule = f"≥{fmt(params.min_mg_per_day)} mg/day prednisone-equivalent for ≥{params.min_days} days"
    if runs:
        used = [e for e in dosed if any(e.start <= b and (e.end is None or e.end >= a) for a, b in runs)]  # type: ignore[operator]
        ongoing = any(b == ctx.as_of for _, b in runs) and any(e.end is None or e.end > ctx.as_of for e in used)
        last = max(b for _, b in runs)
        clears_on = None if ongoing else last + timedelta(days=params.within_days + 1)
        shown = ", ".join(f"{a} to {b}" for a, b in runs)
        return Outcome(Tri.MET, f"{params.label}: {rule} ({shown}) within {params.within_days} days", tuple(_evidence(e, ctx) for e in used), clears_on)
    undosed = [e for e in steroids if e.daily_mg is None]
    if undosed:
        problems = "; ".join(dict.fromkeys(f"{e.label}: {e.dose_problem}" for e in undosed))
        return Outcome(Tri.UNKNOWN, f"{params.label}: daily dose not computable ({problems})", tuple(_evidence(e, ctx) for e in undosed))
    return Outcome(Tri.NOT_MET, f"no {params.label} ({rule}) within {params.within_days} days")


class StableRegimenParams(Params):
    """A standard drug ongoing at D and started at least `min_days` before it."""

    groups: list[str]
    label: str
    min_days: int


@kind("stable_regimen", StableRegimenParams, reads=MEDICATION_TYPES)
def stable_regimen(params: StableRegimenParams, ctx: EvaluationContext) -> Outcome:
    """Met by a qualifying ongoing drug; not_met when records exist and none qualifies."""
    latest_start = ctx.days_before(params.min_days)
    exposures = _in_groups(ctx.merged_exposures, params.groups, systemic_only=True)
    ongoing = [e for e in exposures if e.ongoing_at(ctx.as_of)]
    stable = [e for e in ongoing if e.start is not None and e.start <= latest_start]
    if stable:
        names = ", ".join(dict.fromkeys(e.ingredient for e in stable))
        return Outcome(Tri.MET, f"on {names} since at least {params.min_days} days before {ctx.as_of}", tuple(_evidence(e, ctx) for e in stable))
    if ctx.facts.medication_records == 0:
        return Outcome(Tri.UNKNOWN, "no medication records at all")
    undated = [e for e in exposures if e.start is None]
    if undated:
        return Outcome(Tri.UNKNOWN, f"{params.label} recorded without dates", tuple(_evidence(e, ctx) for e in undated))
    if ongoing:
        earliest = min(e.start for e in ongoing if e.start is not None)
        clears_on = earliest + timedelta(days=params.min_days)
        names = ", ".join(dict.fromkeys(e.ingredient for e in ongoing))
        return Outcome(
            Tri.NOT_MET,
            f"{names} started less than {params.min_days} days ago (stable from {clears_on})",
            tuple(_evidence(e, ctx) for e in ongoing),
            clears_on,
        )
    return Outcome(Tri.NOT_MET, f"no {params.label} ongoing at {ctx.as_of}")
