"""A drug group's daily dose on each day of a window (portfolio rule G4, and the ground rule
"Daily dose"), as bounds that every reading of the record agrees on.

Each day holds a `DayDose`: the least (`low`) and the most (`high`) the records allow
that day, whether it is surely above zero (`positive`), and a `key` equal on two days
only when their doses are surely equal (an exact total, or the same records of unknown
dose: a record's dose cannot change from one day to the next). Bounds, rather than one
number, let each rule decide only what the data decides: a day above 30 mg is above 30
whatever the unknown part adds; a day of unknown dose is neither.

How records make a day's dose:

- A record's own value is its daily dose (`Exposure.daily_mg`), in prednisone-equivalent
  mg when the policy says so (a glucocorticoid without a factor: unknown). A record taken
  as needed is unknown when the policy says so (G4). A record whose route the policy
  ignores (a cream for a systemic rule) does not count at all; one of unknown route class
  is "none or its dose" (G4: that day's dose is unknown).
- Several records of one ingredient on a day: `latest_start` (G4) takes the record with
  the latest start (a dose change is a new prescription, not an addition), and the
  administrations of that day, when there are any, as their sum (what was given);
  `highest` (the ground rules' reading, docs/design.md) takes the higher of the
  administrations' sum and the highest other record.
- Different ingredients add up.
- A record that may but need not cover a day (a partial date; an undated record: any
  day) widens that day's bounds.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from cds.engine.context import EvaluationContext
from cds.engine.drugs import RouteRule, group_members
from fhir_mappings.drugs import drug_catalog
from fhir_mappings.immutable import immutable
from fhir_mappings.medications import Exposure

UNBOUNDED = Decimal("Infinity")
ZERO = Decimal(0)
ONE_DAY = timedelta(days=1)
Days = tuple[date, date]
SameIngredient = Literal["latest_start", "highest"]


@dataclass(frozen=True)
class DosePolicy:
    """How records make a day's dose (see the module docstring)."""

    route: RouteRule = RouteRule()
    same_ingredient: SameIngredient = "latest_start"
    as_needed_unknown: bool = True
    prednisone_equivalent: bool = False


@immutable
class Value:
    """What one record (or one ingredient on one day) contributes: bounds, surely above
    zero, and a key equal only for surely equal values (None: cannot tell)."""

    low: Decimal
    high: Decimal
    positive: bool
    key: Hashable | None

    @property
    def exact(self) -> bool:
        """Whether the value is known exactly."""
        return self.low == self.high


NOTHING = Value(ZERO, ZERO, False, ("mg", ZERO))


@immutable
class DayDose(Value):
    """One day's dose of the group, with the records that surely and possibly count on it."""

    sure: tuple[Exposure, ...] = ()
    maybe: tuple[Exposure, ...] = ()

    @property
    def zero(self) -> bool:
        """Whether no record can count on the day."""
        return self.high == ZERO and not self.maybe


def _span(values: Sequence[Value]) -> Value:
    """One of several values, not knowing which: the widest bounds."""
    keys = {v.key for v in values}
    key = keys.pop() if len(keys) == 1 else None
    return Value(min(v.low for v in values), max(v.high for v in values), all(v.positive for v in values), key)


def _sum(values: Sequence[Value], keyed_by: Sequence[Hashable]) -> Value:
    """Values that add up; the key names each part, or the exact total."""
    low = sum((v.low for v in values), ZERO)
    high = sum((v.high for v in values), ZERO)
    positive = any(v.positive for v in values)
    if all(v.exact for v in values):
        return Value(low, high, positive, ("mg", low))
    if any(v.key is None for v in values):
        return Value(low, high, positive, None)
    return Value(low, high, positive, ("parts", tuple(sorted(zip(map(str, keyed_by), map(str, (v.key for v in values)))))))


def _surely_before(a: Exposure, b: Exposure) -> bool:
    """Whether record `a` surely starts before record `b` (by day, else by time on one day)."""
    if a.start_latest is None or b.start is None:
        return False
    if a.start_latest < b.start:
        return True
    same_day = a.start == a.start_latest == b.start == b.start_latest
    return same_day and a.started_at is not None and b.started_at is not None and a.started_at < b.started_at


def _latest(records: Sequence[Exposure]) -> list[Exposure]:
    """The records that may have the latest start (several when the starts do not order them)."""
    return [r for r in records if not any(_surely_before(r, other) for other in records if other is not r)]


class DoseTable:
    """A group's daily doses on each day of [first, last] (last = D: days after D never count)."""

    def __init__(self, exposures: Sequence[Exposure], policy: DosePolicy, first: date, last: date) -> None:
        self.policy = policy
        self.first = first
        self.last = last
        self.factors = drug_catalog().prednisone_factor
        self.records = [e for e in exposures if policy.route.status(e) != "ignored"]
        self._values = {id(e): self._value(e) for e in self.records}
        self.days = self._days()

    def window(self, first: date) -> DoseTable:
        """The same records over [first, last], for a first day inside this table's.

        A day's dose depends only on which records surely or possibly cover that day, and a
        record covers a day of [first, last] whether its days were clipped to this table's
        first day or to the later one (an undated record may cover every day of either).
        The stretches between record edges are the same inside the window, so its days keep
        their shared doses."""
        assert self.first <= first <= self.last
        view = copy.copy(self)
        view.first = first
        view.days = {day: dose for day, dose in self.days.items() if day >= first}
        return view

    def problem(self, exposure: Exposure) -> str | None:
        """Why a record's contribution is not known exactly, or None when it is."""
        if self.policy.route.status(exposure) == "unknown":
            return f"route class unknown ({exposure.route_basis})"
        if exposure.daily_mg is None:
            return exposure.dose_problem or "daily dose unknown"
        if self.policy.as_needed_unknown and exposure.as_needed:
            return "taken as needed"
        if self.policy.prednisone_equivalent and exposure.ingredient not in self.factors:
            return f"no prednisone equivalence for {exposure.ingredient}"
        return None

    def value(self, exposure: Exposure) -> Value:
        """A record's own contribution on a day it covers."""
        return self._values[id(exposure)]

    def _value(self, exposure: Exposure) -> Value:
        dose = exposure.daily_mg
        if self.policy.as_needed_unknown and exposure.as_needed:
            dose = None
        if dose is not None and self.policy.prednisone_equivalent:
            factor = self.factors.get(exposure.ingredient)
            dose = None if factor is None else dose * factor
        own_key = ("record", exposure.reference, exposure.ingredient)
        if self.policy.route.status(exposure) == "unknown":
            return Value(ZERO, UNBOUNDED if dose is None else dose, False, own_key)
        if dose is None:
            return Value(ZERO, UNBOUNDED, True, own_key)
        return Value(dose, dose, dose > 0, ("mg", dose))

    def surely(self, exposure: Exposure) -> Days | None:
        """The days of the window the record surely covers."""
        return self._clip(exposure.certain_days(self.last))

    def possibly(self, exposure: Exposure) -> Days | None:
        """The days of the window the record may cover (an undated record: any)."""
        days = (self.first, self.last) if exposure.start is None else exposure.possible_days(self.last)
        return self._clip(days)

    def _clip(self, days: Days | None) -> Days | None:
        if days is None:
            return None
        first, last = max(days[0], self.first), min(days[1], self.last)
        return (first, last) if first <= last else None

    def _days(self) -> dict[date, DayDose]:
        """Each day's dose. The records on a day change only where a record's days begin or
        end, so the dose is worked out once per stretch between such edges and shared by
        its days (a table spans months; its records, a few edges)."""
        spans = [(e, self.surely(e), self.possibly(e)) for e in self.records]
        spans = [item for item in spans if item[2] is not None]
        edges = {self.first, self.last + ONE_DAY}
        for _, surely, possibly in spans:
            for days in (surely, possibly):
                if days is not None:
                    edges.update((days[0], days[1] + ONE_DAY))
        cuts = sorted(edges)
        days: dict[date, DayDose] = {}
        for start, end in zip(cuts, cuts[1:]):
            sure = [e for e, s, _ in spans if s is not None and s[0] <= start <= s[1]]
            maybe = [e for e, _, p in spans if p is not None and p[0] <= start <= p[1]]
            dose = self._day(sure, maybe)
            day = start
            while day < end:
                days[day] = dose
                day += ONE_DAY
        return days

    def _day(self, sure: list[Exposure], maybe: list[Exposure]) -> DayDose:
        ingredients = list(dict.fromkeys(e.ingredient for e in maybe))
        parts = [self._ingredient([e for e in sure if e.ingredient == i], [e for e in maybe if e.ingredient == i]) for i in ingredients]
        shown = [(i, v) for i, v in zip(ingredients, parts) if v != NOTHING]
        total = _sum([v for _, v in shown], [i for i, _ in shown]) if shown else NOTHING
        return DayDose(total.low, total.high, total.positive, total.key, tuple(sure), tuple(maybe))

    def _ingredient(self, sure: list[Exposure], maybe: list[Exposure]) -> Value:
        """One ingredient's dose on a day, from the records surely and possibly on it."""
        sure_ids = {id(e) for e in sure}
        only_maybe = [e for e in maybe if id(e) not in sure_ids]
        given = [e for e in sure if e.record_type == "MedicationAdministration"]
        given_maybe = [e for e in only_maybe if e.record_type == "MedicationAdministration"]
        recorded = [e for e in sure if e.record_type != "MedicationAdministration"]
        recorded_maybe = [e for e in only_maybe if e.record_type != "MedicationAdministration"]
        if self.policy.same_ingredient == "highest":
            return self._highest(given, given_maybe, recorded, recorded_maybe)
        if given:
            return self._given(given, given_maybe)
        if given_maybe or recorded_maybe:
            options = [self.value(e) for e in (*recorded, *recorded_maybe, *given_maybe)]
            span = _span([*options, *([] if recorded else [NOTHING])])
            return Value(span.low, span.high, span.positive, None)
        if not recorded:
            return NOTHING
        return _span([self.value(e) for e in _latest(recorded)])

    def _given(self, given: list[Exposure], given_maybe: list[Exposure]) -> Value:
        """The administrations of the day add up (what was given that calendar day)."""
        total = _sum([self.value(e) for e in given], [e.reference for e in given])
        if not given_maybe:
            return total
        extra = sum((self.value(e).high for e in given_maybe), ZERO)
        return Value(total.low, total.high + extra, total.positive, None)

    def _highest(self, given: list[Exposure], given_maybe: list[Exposure], recorded: list[Exposure], recorded_maybe: list[Exposure]) -> Value:
        """The higher of the administrations' sum and the highest other record."""
        given_low = sum((self.value(e).low for e in given), ZERO)
        given_high = sum((self.value(e).high for e in (*given, *given_maybe)), ZERO)
        recorded_low = max((self.value(e).low for e in recorded), default=ZERO)
        recorded_high = max((self.value(e).high for e in (*recorded, *recorded_maybe)), default=ZERO)
        low, high = max(given_low, recorded_low), max(given_high, recorded_high)
        positive = any(self.value(e).positive for e in (*given, *recorded))
        return Value(low, high, positive, ("mg", low) if low == high else None)

    def lows(self) -> dict[date, Decimal]:
        """Per day, the least the records allow."""
        return {d: v.low for d, v in self.days.items()}

    def highs(self) -> dict[date, Decimal]:
        """Per day, the most the records allow."""
        return {d: v.high for d, v in self.days.items()}

    def covering(self, runs: Iterable[Days], surely: bool) -> list[Exposure]:
        """The records on some day of the runs: surely (with a known dose), or possibly."""
        runs = list(runs)
        found = []
        for exposure in self.records:
            days = self.surely(exposure) if surely else self.possibly(exposure)
            if days is None or (surely and not self.value(exposure).exact):
                continue
            if any(days[0] <= b and days[1] >= a for a, b in runs):
                found.append(exposure)
        return found


def dose_table(ctx: EvaluationContext, groups: Iterable[str], policy: DosePolicy, first: date) -> DoseTable:
    """The groups' daily doses over [first, D], worked out once per patient, records and
    policy (`Facts.memo`: criteria of several trials ask the same, over windows of several
    lengths). A narrower window is a view of the widest table built so far (`window`)."""
    members = group_members(ctx.facts, frozenset(groups))
    key = ("dose_table", tuple(map(id, members)), policy, ctx.as_of)
    table = ctx.facts.memo.get(key)
    if table is None or table.first > first:
        table = ctx.facts.memo[key] = DoseTable(members, policy, first, ctx.as_of)
    return table if table.first == first else table.window(first)


def high_dose_runs(totals: dict[date, Decimal], threshold: Decimal, min_days: int, window_start: date) -> list[Days]:
    """Maximal runs of ≥ min_days consecutive days at or above the threshold that reach the window."""
    runs: list[Days] = []
    for day in sorted(d for d, total in totals.items() if total >= threshold):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return [(a, b) for a, b in runs if (b - a).days + 1 >= min_days and b >= window_start]
