"""Immunizations and Procedures -> dated coded events.

Only completed ones count (criteria ground rules: procedures or immunizations whose
status is not completed are ignored). An Immunization is dated by occurrenceDateTime
only: one with an occurrenceString has no readable date (ground rules, "Immunizations"),
and is kept undated so that a window criterion can call it unknown. A partial date
stands for every day of its period.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fhir_mappings.coding import Coding, codings_of
from fhir_mappings.dates import Span, date_span
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
    `valuesets` names the coded value sets its codes are in. `start` None: no readable date."""

    reference: str
    codings: tuple[Coding, ...]
    start: Span | None
    end: Span | None
    valuesets: frozenset[str]

    @classmethod
    def of(cls, resource: dict[str, Any], concept: Any, start: Span | None, end: Span | None) -> CodedEvent:
        """The event of a resource coded by `concept`, with the value sets its codes are in."""
        codings = codings_of(concept)
        return cls(reference_of(resource), codings, start, end, valuesets_of(codings))


def _immunization(resource: dict[str, Any]) -> list[CodedEvent]:
    if status_of(resource) != "completed":
        return []
    day = date_span(resource.get("occurrenceDateTime"))
    return [CodedEvent.of(resource, resource.get("vaccineCode"), day, day)]


def _procedure(resource: dict[str, Any]) -> list[CodedEvent]:
    if status_of(resource) != "completed":
        return []
    period = element(resource, "performedPeriod", dict) or {}
    start = date_span(resource.get("performedDateTime")) or date_span(period.get("start"))
    end = date_span(period.get("end")) or start
    return [CodedEvent.of(resource, resource.get("code"), start or end, end)]


def extract_immunizations(resources: Iterable[dict[str, Any]]) -> tuple[list[CodedEvent], list[Unreadable]]:
    """Completed Immunizations with their vaccine codes (CVX, in any position beside NDC or
    local codings) and date."""
    return read_each(resources, _immunization)


def extract_procedures(resources: Iterable[dict[str, Any]]) -> tuple[list[CodedEvent], list[Unreadable]]:
    """Completed Procedures with their codes and performed date or period."""
    return read_each(resources, _procedure)
