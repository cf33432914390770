"""Calendar dates from FHIR date, dateTime and instant strings.

Ground rules of the criteria: a timestamp counts on the calendar date written in it
(its first ten characters), whatever its time zone; a date of year or year-month
precision stands for every day of its period ("Records as EHRs send them").
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from fhir_mappings.immutable import immutable


@immutable
class Span:
    """The calendar days a FHIR date can mean: one day, or every day of a year or month.

    `text` is the date as written ("2021", "2021-06", "2021-06-15"), for evidence and
    reasons: a partial date is shown as the period it is, never as its first day.
    """

    first: date
    last: date
    text: str

    @property
    def exact(self) -> bool:
        """Whether it is one day (full date precision)."""
        return self.first == self.last

    @classmethod
    def day(cls, day: date) -> Span:
        """The span of one known day."""
        return cls(day, day, day.isoformat())

    @classmethod
    def between(cls, first: date, last: date) -> Span:
        """Every day from `first` to `last` (a derived period, such as a year of life)."""
        if first == last:
            return cls.day(first)
        return cls(first, last, f"{first.isoformat()}..{last.isoformat()}")


def calendar_date(value: object) -> date | None:
    """The date a FHIR date/dateTime/instant is written on; None if absent or not a date.

    A partial date ("2021" or "2021-06") counts from its first day, the earliest date
    it can mean; a criterion that tests a window reads `date_span` instead.
    """
    span = date_span(value)
    return span.first if span is not None else None


def date_span(value: object) -> Span | None:
    """Every calendar day a FHIR date/dateTime/instant can mean; None if absent or not a date."""
    return _span_written(value) if isinstance(value, str) else None


@lru_cache(maxsize=4096)
def _span_written(value: str) -> Span | None:
    # Remembered per distinct string: every dated resource is read through here, and a
    # record repeats the same timestamps (a panel's results share one), so most calls
    # are a lookup (docs/performance.md).
    if len(value) >= 10:
        try:
            return Span.day(date.fromisoformat(value[:10]))
        except ValueError:
            return None
    first, last = date_range(value)
    if first is None or last is None:
        return None
    return Span(first, last, value[:7] if len(value) >= 7 else value[:4])


def date_range(value: str) -> tuple[date | None, date | None]:
    """The first and last calendar dates a (possibly partial) FHIR date can mean."""
    text = value[:10]
    try:
        if len(text) == 4:
            year = int(text)
            return date(year, 1, 1), date(year, 12, 31)
        if len(text) == 7:
            year, month = int(text[:4]), int(text[5:7])
            first = date(year, month, 1)
            following = date(year + month // 12, month % 12 + 1, 1)
            return first, following - timedelta(days=1)
        day = date.fromisoformat(text)
        return day, day
    except ValueError:
        return None, None


def period_of_life(birth: Span, count: int, unit: str) -> Span | None:
    """The days on which someone born on `birth` was `count` years, months, weeks or days old.

    Ground rules, "Condition onset and status": an onsetAge in years stands for that whole
    year of life (a partial date from the birthday to the day before the next one), in
    months or weeks for that month or week of life, in days for that day. A partial
    birthDate widens it by its own period. `unit` is a UCUM code of time (a, mo, wk, d);
    None for another unit or a negative count.
    """
    if count < 0:
        return None
    if unit == "a":
        first = birthday(birth.first, count)
        last = birthday(birth.last, count + 1) - timedelta(days=1)
    elif unit == "mo":
        first = add_months(birth.first, count)
        last = add_months(birth.last, count + 1) - timedelta(days=1)
    elif unit in ("wk", "d"):
        days = count * 7 if unit == "wk" else count
        first = birth.first + timedelta(days=days)
        last = birth.last + timedelta(days=days + (6 if unit == "wk" else 0))
    else:
        return None
    return Span.between(first, last)


def birthday(born: date, years: int) -> date:
    """The day someone born on `born` turns `years` (29 February: 1 March in common years,
    as `fhir_mappings.patient.completed_years` counts it)."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return date(born.year + years, 3, 1)


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later (earlier if negative), clamped to month end."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    for candidate in range(day.day, 27, -1):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    return date(year, month, min(day.day, 28))
