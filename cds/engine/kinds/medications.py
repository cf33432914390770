"""Medication kinds: exposure inside a washout window, high-dose steroid courses, a stable regimen.

Exposures come one per record and ingredient (fhir_mappings/medications.py); days after
D never count. A partial date makes a record's days a range (ground rules, "Partial
dates"): a window test decides only when every reading of the dates gives the same
answer, else that part is unknown, and a `clears_on` uses the latest day a date can
mean. Exposures of one ingredient that overlap or touch form one run (a renewal, a
refill or a dispense of the same drug does not restart it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal

from pydantic import Field

from cds.engine.context import EvaluationContext
from cds.engine.kinds.labs import fmt
from cds.engine.kinds.registry import Params, kind
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence, Outcome
from cds.engine.steroid_doses import DailyTotals, high_dose_runs
from cds.engine.windows import overlaps
from fhir_mappings.dates import add_months
from fhir_mappings.medications import MEDICATION_RECORD_TYPES, Exposure

MEDICATION_TYPES = (*MEDICATION_RECORD_TYPES, "Medication")
Days = tuple[date, date]


def _in_groups(exposures: Iterable[Exposure], groups: list[str], systemic_only: bool = False) -> list[Exposure]:
    wanted = frozenset(groups)
    return [e for e in exposures if (e.systemic or not systemic_only) and not e.groups.isdisjoint(wanted)]


def _day_text(first: date | None, last: date | None) -> str:
    return str(first) if first == last else f"{first}..{last}"


def _evidence(exposure: Exposure) -> Evidence:
    end = "ongoing" if exposure.end is None else _day_text(exposure.end_earliest, exposure.end)
    span = f"{_day_text(exposure.start, exposure.start_latest)} to {end}"
    dose = f", {fmt(exposure.daily_mg)} mg/day" if exposure.daily_mg is not None else ""
    return Evidence(exposure.reference, exposure.code, f"{exposure.label} ({span}{dose})", exposure.start)


def _evidence_of(exposures: Iterable[Exposure]) -> tuple[Evidence, ...]:
    return tuple(dict.fromkeys(_evidence(e) for e in exposures))


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


def _overlap(exposure: Exposure, first: date, as_of: date) -> Tri:
    """Whether the record overlaps [first, as_of]: for every reading of its partial dates
    (met), for none (not_met), or for some (unknown); an undated record for none here."""
    start = exposure.start_span
    return Tri.NOT_MET if start is None else overlaps(start, exposure.end_span, first, as_of)


@kind("drug_exposure", DrugExposureParams, reads=MEDICATION_TYPES)
def drug_exposure(params: DrugExposureParams, ctx: EvaluationContext) -> Outcome:
    """Met when an exposure of the groups overlaps [D - window, D]; clears after the last one."""
    start, span = _window(params, ctx.as_of)
    exposures = _in_groups(ctx.facts.exposures, params.groups)
    overlapping = [(e, _overlap(e, start, ctx.as_of)) for e in exposures]
    possible = [e for e, status in overlapping if status is not Tri.NOT_MET]
    sure = [e for e, status in overlapping if status is Tri.MET]
    if sure:
        ongoing = any(e.end is None or e.end >= ctx.as_of for e in possible)
        last = None if ongoing else max(e.end for e in possible if e.end is not None)
        when = "ongoing" if last is None else f"last exposure {last}"
        clears_on = None if last is None else _clears(params, last)
        return Outcome(Tri.MET, f"{params.label} within {span} ({when})", _evidence_of(sure), clears_on)
    if possible:
        return Outcome(
            Tri.UNKNOWN, f"{params.label} recorded with a partial date that may fall within {span}", _evidence_of(possible)
        )
    undated = [e for e in exposures if e.start is None]
    if undated:
        return Outcome(Tri.UNKNOWN, f"{params.label} recorded without dates", _evidence_of(undated))
    return Outcome(Tri.NOT_MET, f"no record of {params.label} within {span}")


class SteroidCourseParams(Params):
    """A run of ≥ min_days consecutive days at ≥ min_mg_per_day prednisone-equivalent."""

    group: str
    label: str
    min_mg_per_day: Decimal = Field(gt=0)  # positive: a day without a steroid never counts
    min_days: int
    within_days: int


def _unknown_dose(exposure: Exposure, factors: dict[str, Decimal]) -> str | None:
    """Why a steroid record's prednisone-equivalent dose is unknown, or None when known."""
    if exposure.daily_mg is None:
        return exposure.dose_problem or "daily dose unknown"
    if exposure.ingredient not in factors:
        return f"no prednisone equivalence for {exposure.ingredient}"
    return None


@kind("steroid_course", SteroidCourseParams, reads=MEDICATION_TYPES)
def steroid_course(params: SteroidCourseParams, ctx: EvaluationContext) -> Outcome:
    """Met when a high-dose run overlaps [D - within_days, D], concurrent steroids added.

    The runs are found twice: with the days every record surely covers and unknown doses
    as nothing (a run there is met), and with every day a record may cover and unknown
    doses as unbounded (no run there is not_met). In between, and whenever a steroid of
    unknown daily dose may overlap the window, the part is unknown, naming the records.
    """
    window_start = ctx.days_before(params.within_days)
    first = window_start - timedelta(days=params.min_days - 1)
    steroids = [
        e for e in _in_groups(ctx.facts.exposures, [params.group], systemic_only=True)
        if e.start is None or (e.start <= ctx.as_of and (e.end is None or e.end >= first))
    ]
    totals = DailyTotals(steroids, first, ctx.as_of)
    known = high_dose_runs(totals.lowest(), params.min_mg_per_day, params.min_days, window_start)
    possible = high_dose_runs(totals.highest(), params.min_mg_per_day, params.min_days, window_start)
    rule = f"≥{fmt(params.min_mg_per_day)} mg/day prednisone-equivalent for ≥{params.min_days} days"
    if known:
        last = max(b for _, b in possible)
        shown = ", ".join(f"{a} to {b}" for a, b in known)
        after_d = [e for e in totals.covering(possible, surely=False) if e.end is None or e.end > ctx.as_of]
        continuing = last == ctx.as_of and bool(after_d)
        clears_on = None if continuing else last + timedelta(days=params.within_days + 1)
        reason = f"{params.label}: {rule} ({shown}) within {params.within_days} days"
        return Outcome(Tri.MET, reason, _evidence_of(totals.covering(known, surely=True)), clears_on)
    factors = totals.factors
    uncertain = [
        e for e in totals.covering(possible, surely=False)
        if e.start is None or e.partially_dated or _unknown_dose(e, factors)
    ]
    uncertain += [
        e for e in steroids
        if _unknown_dose(e, factors) and (e.start is None or _overlap(e, window_start, ctx.as_of) is not Tri.NOT_MET)
    ]
    if possible or uncertain:
        named = "; ".join(
            dict.fromkeys(f"{e.reference} {e.label}: {_unknown_dose(e, factors) or 'date not exact'}" for e in uncertain)
        )
        reason = f"{params.label} ({rule}) not ruled out within {params.within_days} days: {named}"
        return Outcome(Tri.UNKNOWN, reason, _evidence_of(uncertain))
    return Outcome(Tri.NOT_MET, f"no {params.label} ({rule}) within {params.within_days} days")


class StableRegimenParams(Params):
    """A standard drug ongoing at D and started at least `min_days` before it."""

    groups: list[str]
    label: str
    min_days: int


def _runs(exposures: Iterable[Exposure], days_of: Callable[[Exposure], Days | None]) -> list[tuple[Days, list[Exposure]]]:
    """Per ingredient, the records whose days overlap or touch joined into one run."""
    by_ingredient: dict[str, list[tuple[Days, Exposure]]] = {}
    for exposure in exposures:
        days = days_of(exposure)
        if days is not None:
            by_ingredient.setdefault(exposure.ingredient, []).append((days, exposure))
    runs: list[tuple[Days, list[Exposure]]] = []
    for items in by_ingredient.values():
        items.sort(key=lambda item: item[0])
        (first, last), members = items[0][0], [items[0][1]]
        for (start, end), exposure in items[1:]:
            if start <= last + timedelta(days=1):
                last = max(last, end)
                members.append(exposure)
            else:
                runs.append(((first, last), members))
                (first, last), members = (start, end), [exposure]
        runs.append(((first, last), members))
    return runs


def _run_evidence(runs: Iterable[tuple[Days, list[Exposure]]], as_of: date) -> tuple[Evidence, ...]:
    """A run's first record (since when) and the records that cover D (what is taken now),
    not every renewal in between."""
    shown = []
    for _, members in runs:
        shown.append(min(members, key=lambda e: (e.start or date.min)))
        shown += [e for e in members if e.end is None or e.end >= as_of]
    return _evidence_of(shown)


@kind("stable_regimen", StableRegimenParams, reads=MEDICATION_TYPES)
def stable_regimen(params: StableRegimenParams, ctx: EvaluationContext) -> Outcome:
    """Met by a qualifying ongoing drug; not_met when records exist and none qualifies."""
    as_of, latest_start = ctx.as_of, ctx.days_before(params.min_days)
    exposures = _in_groups(ctx.facts.exposures, params.groups, systemic_only=True)
    sure = [run for run in _runs(exposures, lambda e: e.certain_days(as_of)) if run[0][1] == as_of]
    stable = [run for run in sure if run[0][0] <= latest_start]
    if stable:
        names = ", ".join(dict.fromkeys(e.ingredient for _, members in stable for e in members))
        reason = f"on {names} since at least {params.min_days} days before {as_of}"
        return Outcome(Tri.MET, reason, _run_evidence(stable, as_of))
    if ctx.facts.medication_records == 0:
        return Outcome(Tri.UNKNOWN, "no medication records at all")
    undated = [e for e in exposures if e.start is None]
    if undated:
        return Outcome(Tri.UNKNOWN, f"{params.label} recorded without dates", _evidence_of(undated))
    possible = [run for run in _runs(exposures, lambda e: e.possible_days(as_of)) if run[0][1] == as_of]
    if any(first <= latest_start for (first, _), _ in possible):
        reason = f"{params.label} recorded with a partial date: it may have started {params.min_days} days before {as_of}"
        return Outcome(Tri.UNKNOWN, reason, _run_evidence(possible, as_of))
    if sure:
        clears_on = min(first for (first, _), _ in sure) + timedelta(days=params.min_days)
        names = ", ".join(dict.fromkeys(e.ingredient for _, members in sure for e in members))
        reason = f"{names} started less than {params.min_days} days ago (stable from {clears_on})"
        return Outcome(Tri.NOT_MET, reason, _run_evidence(sure, as_of), clears_on)
    if possible:
        reason = f"{params.label} started less than {params.min_days} days ago, if ongoing (partial date)"
        return Outcome(Tri.NOT_MET, reason, _run_evidence(possible, as_of))
    return Outcome(Tri.NOT_MET, f"no {params.label} ongoing at {as_of}")
