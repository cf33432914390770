"""Look-back windows (portfolio G1) and window tests over dates that may be partial.

G1: weeks are 7 days; "N months before D" is the same day of the month N months
earlier, the last day of that month when that day does not exist (years likewise: 29
February becomes 28 February); windows include both ends, except "less than N", which
is (D − N, D]. A met window criterion clears on the first date on which it would no
longer be met with the data as it is (`Window.clears_on`), which is what the shortcuts
L + N + 1 day (inclusive) and L + N (less than) give, except where month-end clamping
makes them differ.

Ground rules, "Partial dates": a date of year or year-month precision stands for every
day of its period, and a window test decides only when every one of those days gives
the same answer; otherwise that part is unknown. Each test here answers with `Tri`:
MET (true for every day), NOT_MET (false for every day) or UNKNOWN (the days disagree).
Window tests are monotone in each date, so the first and last days of a span decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from cds.engine.logic import Tri
from fhir_mappings.dates import Span, add_months

WindowUnit = Literal["days", "weeks", "months", "years"]
# Month-end clamping moves a calendar window's start by at most three days (31 -> 28).
_CLAMP_DAYS = 3


@dataclass(frozen=True)
class Window:
    """N days, weeks, months or years before D; `less_than` leaves out its first day."""

    amount: int
    unit: WindowUnit
    less_than: bool = False

    def _shift(self, day: date, sign: int) -> date:
        if self.unit in ("days", "weeks"):
            return day + timedelta(days=sign * self.amount * (7 if self.unit == "weeks" else 1))
        return add_months(day, sign * self.amount * (12 if self.unit == "years" else 1))

    def back(self, day: date) -> date:
        """`day` minus N units (G1: calendar months and years clamp to the month's end)."""
        return self._shift(day, -1)

    def first_day(self, as_of: date) -> date:
        """The first day inside the window that ends on `as_of`."""
        start = self.back(as_of)
        return start + timedelta(days=1) if self.less_than else start

    def clears_on(self, last_day: date) -> date:
        """The first D' after `last_day` whose window no longer holds `last_day`.

        G1: the shortcuts (L + N + 1 day, or L + N for "less than") are where the search
        starts; the definition wins where month-end clamping makes them differ
        (L = 2025-12-31, less than 9 months: 2026-10-01, not 2026-09-30).
        """
        candidate = max(last_day + timedelta(days=1), self._shift(last_day, 1) - timedelta(days=_CLAMP_DAYS))
        while self.first_day(candidate) <= last_day:
            candidate += timedelta(days=1)
        return candidate

    def describe(self) -> str:
        """The window as a reason reads it: "28 days", "less than 9 months"."""
        unit = self.unit if self.amount != 1 else self.unit[:-1]
        return f"{'less than ' if self.less_than else ''}{self.amount} {unit}"


def _tri(always: bool, never: bool) -> Tri:
    if always:
        return Tri.MET
    return Tri.NOT_MET if never else Tri.UNKNOWN


def within(span: Span, first: date, last: date) -> Tri:
    """Whether the date falls inside [first, last] (both ends included)."""
    return _tri(first <= span.first and span.last <= last, span.last < first or span.first > last)


def on_or_before(span: Span, day: date) -> Tri:
    """Whether the date is on or before `day`."""
    return _tri(span.last <= day, span.first > day)


def before(span: Span, day: date) -> Tri:
    """Whether the date is strictly before `day`."""
    return _tri(span.last < day, span.first >= day)


def overlaps(start: Span, end: Span | None, first: date, last: date) -> Tri:
    """Whether [start, end] meets the window [first, last]; `end` None means ongoing.

    True when even the latest start and the earliest end meet it; false when even the
    earliest start and the latest end miss it.
    """
    always = start.last <= last and (end is None or end.first >= first)
    never = start.first > last or (end is not None and end.last < first)
    return _tri(always, never)
