"""Medication kinds: exposure, ever or inside a window; high-dose steroid courses; a stable regimen.

Exposures come one per record and ingredient (fhir_mappings/medications.py); days after
D never count (G1). A partial date makes a record's days a range (ground rules, "Partial
dates"): a window test decides only when every reading of the dates gives the same
answer, else that part is unknown, and a `clears_on` uses the latest day a date can
mean. Exposures of one ingredient that overlap or touch form one run (a renewal, a
refill or a dispense of the same drug does not restart it).

`drug_exposure` carries the portfolio rules about which records count: G1 windows (days,
weeks, months, years; "less than N"; `within_days: 0` is "the exposure includes D"),
G2 "ever" (no window), G3 route restrictions (per part, or per group), G13 tiers (groups
that make the part met, `unknown_groups` that make it unknown with a reason) and G17
(`when_no_records: unknown`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import Field

from cds.engine.context import EvaluationContext
from cds.engine.daily_doses import DosePolicy, SameIngredient, dose_table, high_dose_runs
from cds.engine.drugs import RouteRule, group_members, unknown_route_text
from cds.engine.kinds.drug_parts import (
    MEDICATION_TYPES,
    DrugGroupName,
    RouteName,
    RouteParams,
    day_text,
    evidence_of,
    names_of,
)
from cds.engine.kinds.labs import fmt
from cds.engine.kinds.params import WindowParams
from cds.engine.kinds import inputs
from cds.engine.kinds.registry import kind
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence, Outcome
from cds.engine.windows import Window, on_or_before, overlaps
from fhir_mappings.medications import Exposure

Days = tuple[date, date]
INCLUDES_D = 0  # within_days: 0 is the window [D, D]: "the exposure includes D"


class DrugExposureParams(WindowParams, RouteParams):
    """Drug groups, ever (no window) or inside a window before D (G1, G2), with G3 route
    restrictions, G13 tiers and the G17 guard.

    `groups`: an exposure makes the part met. `unknown_groups` (G13 tier c): an exposure
    makes it unknown, with `unknown_reason`. `group_routes`: a route restriction for the
    members of some groups only (systemic cyclosporine among drugs counted by any
    route); it overrides `route` for them. `when_no_records: unknown` (G17): with no
    medication record at all the part is unknown, not not_met.
    """

    groups: list[DrugGroupName]
    label: str
    unknown_groups: list[DrugGroupName] = []
    unknown_reason: str = "confirm whether the sponsor counts it"
    group_routes: dict[DrugGroupName, RouteName] = {}
    when_no_records: Literal["not_met", "unknown"] = "not_met"

    def rule_for(self, exposure: Exposure) -> RouteRule:
        """The route restriction a record is read under."""
        for group, route in self.group_routes.items():
            if group in exposure.groups:
                return RouteRule(route, self.route_unknown == "counts")
        return self.route_rule


def _within_text(window: Window | None, as_of: date) -> str:
    if window is None:
        return f"on or before {as_of}"
    if window.amount == INCLUDES_D:
        return f"on {as_of}"
    return f"within {window.describe()}"


def _timing(exposure: Exposure, window: Window | None, as_of: date) -> Tri:
    """Whether the record falls in the window: for every reading of its partial dates
    (met), for none (not_met), or for some (unknown). With no window ("ever"), any record
    starting on or before D counts, an undated one too; with a window, an undated record
    may fall in it (unknown)."""
    start = exposure.start_span
    if start is None:
        return Tri.MET if window is None else Tri.UNKNOWN
    if window is None:
        return on_or_before(start, as_of)
    return overlaps(start, exposure.end_span, window.first_day(as_of), as_of)


def _named(exposure: Exposure) -> str:
    """A record in a reason: its ingredient, reference and start."""
    start = "undated" if exposure.start is None else f"from {day_text(exposure.start, exposure.start_latest)}"
    return f"{exposure.ingredient} ({exposure.reference}, {start})"


def _open_reasons(params: DrugExposureParams, items: list[tuple[Exposure, str]], within: str) -> str:
    """Why the part stays open, one clause per kind of doubt (tier, route, dates)."""
    tier = [e for e, why in items if why == "tier"]
    route = [(e, why) for e, why in items if why not in ("tier", "partial", "undated")]
    partial = [e for e, why in items if why == "partial"]
    undated = [e for e, why in items if why == "undated"]
    clauses = []
    if tier:
        clauses.append(f"{', '.join(dict.fromkeys(_named(e) for e in tier))}: {params.unknown_reason}")
    for exposure, why in route:
        clauses.append(f"{_named(exposure)}: {why}")
    if partial:
        clauses.append(f"{params.label} recorded with a partial date that may fall {within}")
    elif undated:
        clauses.append(f"{params.label} recorded without dates")
    return "; ".join(dict.fromkeys(clauses))


@kind("drug_exposure", DrugExposureParams, reads=MEDICATION_TYPES, has_input=inputs.drugs(lambda p: [*p.groups, *p.unknown_groups]))
def drug_exposure(params: DrugExposureParams, ctx: EvaluationContext) -> Outcome:
    """Met by an exposure of the groups in the window (or ever), by a route that counts;
    clears after the last one (none for "ever", or while ongoing)."""
    window = params.window
    within = _within_text(window, ctx.as_of)
    met_groups = frozenset(params.groups)
    sure: list[Exposure] = []
    possible: list[Exposure] = []
    open_items: list[tuple[Exposure, str]] = []
    earlier: list[Exposure] = []
    for exposure in group_members(ctx.facts, [*params.groups, *params.unknown_groups]):
        rule = params.rule_for(exposure)
        route = rule.status(exposure)
        if route == "ignored":
            continue
        timing = _timing(exposure, window, ctx.as_of)
        if timing is Tri.NOT_MET:
            if exposure.end is not None and exposure.end < ctx.as_of:
                earlier.append(exposure)
            continue
        met_tier = not exposure.groups.isdisjoint(met_groups)
        if met_tier and route == "counts" and exposure.start is not None:
            possible.append(exposure)
        if met_tier and route == "counts" and timing is Tri.MET:
            sure.append(exposure)
        elif not met_tier:
            open_items.append((exposure, "tier"))
        elif route == "unknown":
            open_items.append((exposure, unknown_route_text(exposure, rule)))
        else:
            open_items.append((exposure, "partial" if exposure.start is not None else "undated"))
    if sure and window is None:
        starts = [e.start for e in sure if e.start is not None]
        reason = f"{params.label} on record: {names_of(sure)}" + (f" (from {min(starts)})" if starts else " (undated)")
        return Outcome(Tri.MET, reason, evidence_of(sure))
    if sure:
        ongoing = any(e.end is None or e.end >= ctx.as_of for e in possible)
        last = None if ongoing else max(e.end for e in possible if e.end is not None)
        when = "ongoing" if last is None else f"last exposure {last}"
        clears_on = None if last is None else window.clears_on(last)
        return Outcome(Tri.MET, f"{params.label} {within} ({when})", evidence_of(sure), clears_on)
    if open_items:
        return Outcome(Tri.UNKNOWN, _open_reasons(params, open_items, within), evidence_of(e for e, _ in open_items))
    if params.when_no_records == "unknown" and ctx.facts.medication_records == 0:
        return Outcome(Tri.UNKNOWN, "no medication records at all")
    counted = [e for e in earlier if not e.groups.isdisjoint(met_groups) and e.end is not None]
    last_ended = f" (last exposure ended {max(e.end for e in counted if e.end is not None)})" if counted else ""
    return Outcome(Tri.NOT_MET, f"no record of {params.label} {within}{last_ended}")


class SteroidCourseParams(RouteParams):
    """A run of ≥ min_days consecutive days at ≥ min_mg_per_day prednisone-equivalent.

    By default read as the ground rules' "Daily dose" reads it: records of one
    ingredient on a day do not add up (the highest counts), a dose taken as needed counts
    as written, and only records known to be local are left out (`route: systemic`,
    `route_unknown: counts`). A part under portfolio G4 sets `same_ingredient:
    latest_start`, `as_needed: unknown`, `route_unknown: unknown`.
    """

    group: DrugGroupName
    label: str
    min_mg_per_day: Decimal = Field(gt=0)  # positive: a day without a steroid never counts
    min_days: int
    within_days: int
    route: RouteName = "systemic"
    route_unknown: Literal["unknown", "counts"] = "counts"
    same_ingredient: SameIngredient = "highest"
    as_needed: Literal["unknown", "counted"] = "counted"


@kind("steroid_course", SteroidCourseParams, reads=MEDICATION_TYPES, has_input=inputs.drugs(lambda p: [p.group]))
def steroid_course(params: SteroidCourseParams, ctx: EvaluationContext) -> Outcome:
    """Met when a high-dose run overlaps [D - within_days, D], concurrent steroids added.

    The runs are found twice: over each day's least dose (the days every record surely
    covers, unknown doses as nothing: a run there is met), and over each day's most
    (every day a record may cover, unknown doses as unbounded: no run there is not_met).
    In between, and whenever a steroid of unknown daily dose may overlap the window, the
    part is unknown, naming the records.
    """
    window_start = ctx.days_before(params.within_days)
    first = window_start - timedelta(days=params.min_days - 1)
    policy = DosePolicy(params.route_rule, params.same_ingredient, params.as_needed == "unknown", prednisone_equivalent=True)
    table = dose_table(ctx, [params.group], policy, first)
    known = high_dose_runs(table.lows(), params.min_mg_per_day, params.min_days, window_start)
    possible = high_dose_runs(table.highs(), params.min_mg_per_day, params.min_days, window_start)
    rule = f"≥{fmt(params.min_mg_per_day)} mg/day prednisone-equivalent for ≥{params.min_days} days"
    if known:
        last = max(b for _, b in possible)
        shown = ", ".join(f"{a} to {b}" for a, b in known)
        after_d = [e for e in table.covering(possible, surely=False) if e.end is None or e.end > ctx.as_of]
        continuing = last == ctx.as_of and bool(after_d)
        clears_on = None if continuing else last + timedelta(days=params.within_days + 1)
        reason = f"{params.label}: {rule} ({shown}) within {params.within_days} days"
        return Outcome(Tri.MET, reason, evidence_of(table.covering(known, surely=True)), clears_on)
    uncertain = [
        e for e in table.covering(possible, surely=False)
        if e.start is None or e.partially_dated or table.problem(e)
    ]
    uncertain += [
        e for e in table.records
        if table.problem(e) and (e.start is None or overlaps(e.start_span, e.end_span, window_start, ctx.as_of) is not Tri.NOT_MET)
    ]
    if possible or uncertain:
        named = "; ".join(
            dict.fromkeys(f"{e.reference} {e.label}: {table.problem(e) or 'date not exact'}" for e in uncertain)
        )
        reason = f"{params.label} ({rule}) not ruled out within {params.within_days} days: {named}"
        return Outcome(Tri.UNKNOWN, reason, evidence_of(uncertain))
    return Outcome(Tri.NOT_MET, f"no {params.label} ({rule}) within {params.within_days} days")


class StableRegimenParams(RouteParams):
    """A standard drug ongoing at D and started at least `min_days` before it.

    By default only records known to be local are left out (`route: systemic`,
    `route_unknown: counts`: "systemic forms only", as the first trial's file reads it).
    """

    groups: list[DrugGroupName]
    label: str
    min_days: int
    route: RouteName = "systemic"
    route_unknown: Literal["unknown", "counts"] = "counts"


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
    return evidence_of(shown)


def _may_cover(exposure: Exposure, as_of: date) -> bool:
    """Whether the record may be ongoing at D (an undated one may)."""
    days = exposure.possible_days(as_of)
    return exposure.start is None or (days is not None and days[1] == as_of)


@kind("stable_regimen", StableRegimenParams, reads=MEDICATION_TYPES, has_input=inputs.drugs(lambda p: p.groups))
def stable_regimen(params: StableRegimenParams, ctx: EvaluationContext) -> Outcome:
    """Met by a qualifying ongoing drug; not_met when records exist and none qualifies."""
    as_of, latest_start = ctx.as_of, ctx.days_before(params.min_days)
    rule = params.route_rule
    members = group_members(ctx.facts, params.groups)
    exposures = [e for e in members if rule.status(e) == "counts"]
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
        return Outcome(Tri.UNKNOWN, f"{params.label} recorded without dates", evidence_of(undated))
    unknown_route = [e for e in members if rule.status(e) == "unknown" and _may_cover(e, as_of)]
    if unknown_route:
        named = "; ".join(dict.fromkeys(f"{e.ingredient} ({e.reference}): {unknown_route_text(e, rule)}" for e in unknown_route))
        return Outcome(Tri.UNKNOWN, named, evidence_of(unknown_route))
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
