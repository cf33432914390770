"""Prednisone-equivalent mg per day from steroid exposures, and the high-dose runs in them.

One day's total is the sum over ingredients (concurrent corticosteroids add up, each
times its prednisone-equivalence factor). Within one ingredient, the administrations of
that day add up (the dose given that calendar day); other records of the ingredient
covering the day do not add to each other (a renewal, a refill, or the dispense of a
prescription is the same dose, not a second one): the highest counts. The day's dose is
the higher of the two (docs/design.md).

Each total is worked out in two readings of the record, to decide only what every
reading agrees on: `lowest` counts only the days a record surely covers and an unknown
dose as nothing; `highest` counts every day it may cover (an undated record: any day)
and an unknown dose as unbounded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal

from fhir_mappings.drugs import drug_catalog
from fhir_mappings.medications import Exposure

UNBOUNDED = Decimal("Infinity")
Days = tuple[date, date]


class DailyTotals:
    """Steroid exposures over [first, last] (last = D: days after D never count)."""

    def __init__(self, steroids: Sequence[Exposure], first: date, last: date) -> None:
        self.steroids = steroids
        self.first = first
        self.last = last
        self.factors = drug_catalog().prednisone_factor

    def _dose(self, exposure: Exposure, unknown: Decimal) -> Decimal:
        factor = self.factors.get(exposure.ingredient)
        if exposure.daily_mg is None or factor is None:
            return unknown
        return exposure.daily_mg * factor

    def _surely(self, exposure: Exposure) -> Days | None:
        return exposure.certain_days(self.last)

    def _maybe(self, exposure: Exposure) -> Days | None:
        return (self.first, self.last) if exposure.start is None else exposure.possible_days(self.last)

    def _totals(self, days_of: Callable[[Exposure], Days | None], unknown: Decimal) -> dict[date, Decimal]:
        given: dict[tuple[str, date], Decimal] = {}
        recorded: dict[tuple[str, date], Decimal] = {}
        for exposure in self.steroids:
            days = days_of(exposure)
            if days is None:
                continue
            dose = self._dose(exposure, unknown)
            day, end = max(days[0], self.first), min(days[1], self.last)
            while day <= end:
                key = (exposure.ingredient, day)
                if exposure.record_type == "MedicationAdministration":
                    given[key] = given.get(key, Decimal(0)) + dose
                else:
                    recorded[key] = max(recorded.get(key, Decimal(0)), dose)
                day += timedelta(days=1)
        totals: dict[date, Decimal] = {}
        for key in given.keys() | recorded.keys():
            dose = max(given.get(key, Decimal(0)), recorded.get(key, Decimal(0)))
            totals[key[1]] = totals.get(key[1], Decimal(0)) + dose
        return totals

    def lowest(self) -> dict[date, Decimal]:
        """Per day, the least the records allow: sure days, unknown doses as nothing."""
        return self._totals(self._surely, Decimal(0))

    def highest(self) -> dict[date, Decimal]:
        """Per day, the most the records allow: possible days, unknown doses unbounded."""
        return self._totals(self._maybe, UNBOUNDED)

    def covering(self, runs: Sequence[Days], surely: bool) -> list[Exposure]:
        """The records on some day of the runs: surely (with a known dose), or possibly."""
        found = []
        for exposure in self.steroids:
            days = self._surely(exposure) if surely else self._maybe(exposure)
            if days is None or (surely and self._dose(exposure, UNBOUNDED) == UNBOUNDED):
                continue
            if any(days[0] <= b and days[1] >= a for a, b in runs):
                found.append(exposure)
        return found


def high_dose_runs(totals: dict[date, Decimal], threshold: Decimal, min_days: int, window_start: date) -> list[Days]:
    """Maximal runs of ≥ min_days consecutive days at or above the threshold that reach the window."""
    runs: list[Days] = []
    for day in sorted(d for d, total in totals.items() if total >= threshold):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return [(a, b) for a, b in runs if (b - a).days + 1 >= min_days and b >= window_start]
