"""Immunizations and Procedures -> dated coded events.

Only completed ones count (criteria ground rules: procedures or immunizations whose
status is not completed are ignored).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from fhir_mappings.coding import Coding, codings_of, reference_of
from fhir_mappings.dates import calendar_date


@dataclass(frozen=True)
class CodedEvent:
    """A completed, coded thing done to the patient over [start, end] (one day if instant)."""

    reference: str
    codings: tuple[Coding, ...]
    start: date | None
    end: date | None


def extract_immunizations(resources: Iterable[dict[str, Any]]) -> list[CodedEvent]:
    """Completed Immunizations with their vaccine codes (CVX) and date."""
    events = []
    for r in resources:
        if r.get("status") != "completed":
            continue
        day = calendar_date(r.get("occurrenceDateTime")) or calendar_date(r.get("recorded"))
        events.append(CodedEvent(reference_of(r), codings_of(r.get("vaccineCode")), day, day))
    return events


def extract_procedures(resources: Iterable[dict[str, Any]]) -> list[CodedEvent]:
    """Completed Procedures with their codes and performed date or period."""
    events = []
    for r in resources:
        if r.get("status") != "completed":
            continue
        period = r.get("performedPeriod") or {}
        start = calendar_date(r.get("performedDateTime")) or calendar_date(period.get("start"))
        end = calendar_date(period.get("end")) or start
        events.append(CodedEvent(reference_of(r), codings_of(r.get("code")), start or end, end))
    return events
