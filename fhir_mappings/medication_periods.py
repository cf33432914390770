"""When a medication record says the drug was taken: which statuses count, and the period.

The criteria ground rules and their revision of 2026-12:
- MedicationStatement, MedicationAdministration: effective[x]; a period with no end is
  ongoing while the status is open-ended (active, on-hold; in-progress), else it ends at
  its start.
- MedicationRequest: from authoredOn to dispenseRequest.validityPeriod.end; else for the
  expected supply times (1 + numberOfRepeatsAllowed); else ongoing if active or on-hold;
  else authoredOn alone.
- MedicationDispense: from whenHandedOver (else whenPrepared) for daysSupply days; with
  no daysSupply, that day alone.

A supply of N days covers N days: the last day is start + N − 1, for a dispense's
daysSupply (as the page defines it) and for a request's expected supply alike
(docs/design.md). A partial date (year or year-month) stands for every day of its
period, so each end of a `Period` is a range of days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from functools import cache
from typing import Any

from fhir_mappings.dates import date_range
from fhir_mappings.immutable import immutable
from fhir_mappings.readable import MalformedResourceError, element, status_of
from fhir_mappings.terminology import read_yaml
from fhir_mappings.timing import duration_days


@dataclass(frozen=True)
class StatusRule:
    """medication_statuses.yaml for one record type."""

    ignored: frozenset[str]
    counted: frozenset[str] | None
    open_ended: frozenset[str]

    def counts(self, status: str | None) -> bool:
        """Whether a record with this status counts at all."""
        if self.counted is not None:
            return status in self.counted
        return status not in self.ignored


@cache
def status_rules() -> dict[str, StatusRule]:
    """Load medication_statuses.yaml once."""
    data = read_yaml("medication_statuses.yaml")["record_types"]
    return {
        rtype: StatusRule(
            frozenset(body.get("ignored") or ()),
            frozenset(body["counted"]) if "counted" in body else None,
            frozenset(body.get("open_ended") or ()),
        )
        for rtype, body in data.items()
    }


def counts_as_taken(resource: dict[str, Any]) -> bool:
    """Whether a medication record counts at all (not entered in error, not-taken, draft...)."""
    rule = status_rules().get(resource.get("resourceType", ""))
    return rule is not None and rule.counts(status_of(resource))


@immutable
class Period:
    """The days a record covers. Each end is a range when its date is partial: the first
    day lies in [start, start_latest], the last in [end_earliest, end]. `end` None means
    ongoing; `start` None means undated (the record could fall on any day)."""

    start: date | None
    start_latest: date | None
    end: date | None
    end_earliest: date | None


UNDATED = Period(None, None, None, None)


def _days(value: Any) -> tuple[date, date] | None:
    """The first and last day a FHIR date/dateTime can mean; None if absent.

    :raise MalformedResourceError: present but not a date: an exposure read without one of
        its dates could end before a window it reaches, so the record is unreadable instead.
    """
    if value is None:
        return None
    first, last = date_range(value) if isinstance(value, str) else (None, None)
    if first is None or last is None:
        raise MalformedResourceError("a medication date is not a FHIR date")
    return first, last


def _covering(start: tuple[date, date], end: tuple[date, date] | None) -> Period:
    """From a start to an end (None: ongoing); an end written before the start is the start."""
    if end is None:
        return Period(start[0], start[1], None, None)
    return Period(start[0], start[1], max(end[1], start[1]), max(end[0], start[0]))


def _supplied(start: tuple[date, date], days: Fraction | None, last_day_offset: int) -> Period | None:
    """N days of supply from `start`, ending on start + N + `last_day_offset` (a part day
    counts whole): the page gives a request's end as authoredOn + the supply (offset 0)
    and a dispense's last day as start + daysSupply − 1 (offset −1)."""
    if days is None or days <= 0:
        return None
    span = timedelta(days=math.ceil(days) + last_day_offset)
    return _covering(start, (start[0] + span, start[1] + span))


def _request_period(resource: dict[str, Any], open_ended: bool) -> Period:
    start = _days(resource.get("authoredOn"))
    if start is None:
        return UNDATED
    dispense = element(resource, "dispenseRequest", dict) or {}
    validity = element(dispense, "validityPeriod", dict) or {}
    validity_end = _days(validity.get("end"))
    if validity_end is not None:
        return _covering(start, validity_end)
    repeats = element(dispense, "numberOfRepeatsAllowed", int) or 0
    supply = duration_days(dispense.get("expectedSupplyDuration"))
    supplied = _supplied(start, None if supply is None else supply * (1 + max(repeats, 0)), 0)
    if supplied is not None:
        return supplied
    return _covering(start, None if open_ended else start)


def _dispense_period(resource: dict[str, Any]) -> Period:
    start = _days(resource.get("whenHandedOver")) or _days(resource.get("whenPrepared"))
    if start is None:
        return UNDATED
    return _supplied(start, duration_days(resource.get("daysSupply")), -1) or _covering(start, start)


def _effective_period(resource: dict[str, Any], open_ended: bool) -> Period:
    day = _days(resource.get("effectiveDateTime"))
    if day is not None:
        return _covering(day, day)
    period = element(resource, "effectivePeriod", dict) or {}
    start, end = _days(period.get("start")), _days(period.get("end"))
    if start is None:
        return UNDATED if end is None else _covering(end, end)
    if end is None:
        return _covering(start, None if open_ended else start)
    return _covering(start, end)


def exposure_period(resource: dict[str, Any]) -> Period:
    """The period a counted medication record covers, per its type's ground rule."""
    rtype = resource.get("resourceType", "")
    rule = status_rules().get(rtype)
    open_ended = rule is not None and status_of(resource) in rule.open_ended
    if rtype == "MedicationRequest":
        return _request_period(resource, open_ended)
    if rtype == "MedicationDispense":
        return _dispense_period(resource)
    return _effective_period(resource, open_ended)


def _start_text(resource: dict[str, Any]) -> Any:
    """The timestamp a record's period starts from, as written."""
    rtype = resource.get("resourceType")
    if rtype == "MedicationRequest":
        return resource.get("authoredOn")
    if rtype == "MedicationDispense":
        return resource.get("whenHandedOver") or resource.get("whenPrepared")
    if resource.get("effectiveDateTime") is not None:
        return resource["effectiveDateTime"]
    period = resource.get("effectivePeriod")
    return period.get("start") if isinstance(period, dict) else None


def start_instant(resource: dict[str, Any]) -> datetime | None:
    """The moment a record starts (authoredOn, else the effective start, else the dispense
    time), in UTC, when it is written with a time and a zone; None otherwise.

    Portfolio rule G4: of several records of one ingredient on one day, the one with the
    latest start gives the dose; two starts on the same calendar day are ordered only by
    their times, and only when both state one.
    """
    text = _start_text(resource)
    if not isinstance(text, str) or len(text) <= 10:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None
