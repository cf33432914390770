"""Window tests over dates that may be partial.

Ground rules, "Partial dates": a date of year or year-month precision stands for every
day of its period, and a window test decides only when every one of those days gives
the same answer; otherwise that part is unknown. Each test here answers with `Tri`:
MET (true for every day), NOT_MET (false for every day) or UNKNOWN (the days disagree).
Window tests are monotone in each date, so the first and last days of a span decide.
"""

from __future__ import annotations

from datetime import date

from cds.engine.logic import Tri
from fhir_mappings.dates import Span


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
