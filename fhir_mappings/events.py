"""Immunizations and Procedures -> dated coded events.

Only completed ones count (criteria ground rules: procedures or immunizations whose
status is not completed are ignored).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from fhir_mappings.coding import Coding, codings_of
from fhir_mappings.dates import calendar_date
from fhir_mappings.immutable import immutable
from fhir_mappings.readable import (
    Unreadable,
    element,
    read_each,
    reference_of,
    status_of,
)
from fhir_mappings.terminology import valuesets_of


@immutable
class CodedEvent:
    """A completed, coded thing done to the patient over [start, end] (one day if instant);
    `valuesets` names the coded value sets its codes are in."""

    reference: str
    codings: tuple[Coding, ...]
    start: date | None
    end: date | None
    valuesets: frozenset[str]

    @classmethod
    def of(cls, resource: dict[str, Any], concept: Any, start: date | None, end: date | None) -> CodedEvent:
        """The event of a resource coded by `concept`, with the value sets its codes are in."""
        codings = codings_of(concept)
        return cls(reference_of(resource), codings, start, end, valuesets_of(codings))


def _immunization(resource: dict[str, Any]) -> list[CodedEvent]:
    if status_of(resource) != "completed":
        return []
    day = calendar_date(resource.get("occurrenceDateTime")) or calendar_date(resource.get("recorded"))
    return [CodedEvent.of(resource, resource.get("vaccineCode"), day, day)]


def _procedure(resource: dict[str, Any]) -> list[CodedEvent]:
    if status_of(resource) != "completed":
        return []
    period = element(resource, "performedPeriod", dict) or {}
    start = calendar_date(resource.get("performedDateTime")) or calendar_date(period.get("start"))
    end = calendar_date(period.get("end")) or start
    return [CodedEvent.of(resource, resource.get("code"), start or end, end)]


def extract_immunizations(resources: Iterable[dict[str, Any]]) -> tuple[list[CodedEvent], list[Unreadable]]:
    """Completed Immunizations with their vaccine codes (CVX) and date."""
    return read_each(resources, _immunization)


def extract_procedures(resources: Iterable[dict[str, Any]]) -> tuple[list[CodedEvent], list[Unreadable]]:
    """Completed Procedures with their codes and performed date or period."""
    return read_each(resources, _procedure)
