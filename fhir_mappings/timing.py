"""How often a dose is taken (Dosage.timing) and how many days a supply lasts (a Duration).

Tables from timing.yaml. Arithmetic is exact (`Fraction`): "every 8 hours" is 3 a day,
not 2.999…, so a dose on a threshold stays on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any

from fhir_mappings.coding import codings_of
from fhir_mappings.readable import MalformedResourceError, element
from fhir_mappings.terminology import read_yaml


@dataclass(frozen=True)
class TimingTable:
    """timing.yaml: GTSAbbreviation codes per day, days per unit of time, unit spellings."""

    per_day: dict[str, Fraction]
    period_days: dict[str, Fraction]
    unit_aliases: dict[str, str]

    def days_in(self, unit: Any) -> Fraction | None:
        """Days in one `unit` (a UCUM code such as `d` or `wk`, or a word such as "Days")."""
        if not isinstance(unit, str):
            return None
        text = unit.strip()
        found = self.period_days.get(text)
        if found is None:
            found = self.period_days.get(self.unit_aliases.get(text.lower(), ""))
        return found


def exact(text: Any) -> Fraction:
    """A table number written as "3", "0.5" or "1/7", exactly."""
    return Fraction(str(text))


@cache
def timing_table() -> TimingTable:
    """Load timing.yaml once."""
    data = read_yaml("timing.yaml")
    return TimingTable(
        {str(k).upper(): exact(v) for k, v in data["per_day"]["codes"].items()},
        {str(k): exact(v) for k, v in data["period_unit_days"]["units"].items()},
        {str(k).lower(): str(v) for k, v in data["duration_unit_aliases"]["aliases"].items()},
    )


def number(value: Any) -> Fraction | None:
    """A JSON number as an exact fraction (its decimal text, so 0.1 is 1/10); None if not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return Fraction(Decimal(str(value)))


def _times_of_day(repeat: dict[str, Any]) -> Fraction:
    """One dose per timeOfDay entry ("08:00", "20:00": two), or one when there are none.

    :raise MalformedResourceError: timeOfDay is not a list.
    """
    times = element(repeat, "timeOfDay", list)
    return Fraction(len(times)) if times else Fraction(1)


def doses_per_day(timing: Any) -> Fraction | None:
    """Administrations per day from Dosage.timing: repeat (frequency ÷ period in days; with
    no frequency, one dose per timeOfDay entry, portfolio G4), else a GTSAbbreviation
    `code` (a coding, or a code text that is exactly one such code: "BID"); None when
    neither states it (dosage text is not read)."""
    if not isinstance(timing, dict):
        return None
    table = timing_table()
    repeat = timing.get("repeat")
    if isinstance(repeat, dict) and ("frequency" in repeat or "period" in repeat or "timeOfDay" in repeat):
        frequency = number(repeat["frequency"]) if "frequency" in repeat else _times_of_day(repeat)
        period = number(repeat.get("period", 1))
        unit_days = table.days_in(repeat.get("periodUnit", "d"))
        if frequency is None or period is None or period <= 0 or unit_days is None:
            return None
        return frequency / (period * unit_days)
    code = timing.get("code")
    for coding in codings_of(code):
        found = table.per_day.get(coding.code.upper())
        if found is not None:
            return found
    text = element(code, "text", str) if isinstance(code, dict) else None
    return table.per_day.get(text.strip().upper()) if text else None


def duration_days(quantity: Any) -> Fraction | None:
    """The days a Duration or daysSupply quantity stands for; a quantity with no unit is in days
    (daysSupply names its unit). None when it has no value or an unknown unit.

    :raise MalformedResourceError: the quantity or its value has the wrong JSON type (a
        supply silently dropped could end an exposure before a window it reaches).
    """
    if quantity is None:
        return None
    if not isinstance(quantity, dict):
        raise MalformedResourceError("a Duration is not a JSON object")
    if quantity.get("value") is None:
        return None
    value = number(quantity["value"])
    if value is None:
        raise MalformedResourceError("a Duration's value is not a number")
    unit = quantity.get("code") or quantity.get("unit")
    if unit is None:
        return value
    unit_days = timing_table().days_in(unit)
    return None if unit_days is None else value * unit_days
