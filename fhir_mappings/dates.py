"""Calendar dates from FHIR date, dateTime and instant strings.

Ground rule of the criteria: a timestamp counts on the calendar date written in it
(its first ten characters), whatever its time zone.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache


def calendar_date(value: object) -> date | None:
    """The date a FHIR date/dateTime/instant is written on; None if absent or not a date.

    A partial date ("2021" or "2021-06") counts from its first day, the earliest date
    it can mean; callers that need the whole range (ages) use `date_range`.
    """
    return _day_written(value) if isinstance(value, str) else None


@lru_cache(maxsize=4096)
def _day_written(value: str) -> date | None:
    # Remembered per distinct string: every dated resource is read through here, and a
    # record repeats the same timestamps (a panel's results share one), so most calls
    # are a lookup (docs/performance.md).
    if len(value) < 4:
        return None
    if len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    low, _ = date_range(value)
    return low


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
