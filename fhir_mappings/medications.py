"""Medication records -> one exposure per record and ingredient, and the unidentified drugs.

A record counts when its status does (medication_periods.py); its drug is identified by
code, else by name (medication_identity.py); it covers a period (medication_periods.py)
at a daily dose (medication_doses.py). Each `Exposure` is one record's: the engine joins
the exposures of one ingredient that overlap or touch (a renewal does not restart a
drug) and adds up concurrent doses. A counted record whose drug neither code nor name
identifies becomes an `UnidentifiedMedication`: it matches no drug criterion, and the
evaluation lists it for the coordinator to check.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fhir_mappings.dates import Span
from fhir_mappings.drugs import drug_catalog
from fhir_mappings.immutable import immutable
from fhir_mappings.medication_doses import daily_dose
from fhir_mappings.medication_identity import DrugIdentity, Resolve, record_drug
from fhir_mappings.medication_periods import Period, counts_as_taken, exposure_period, start_instant
from fhir_mappings.medication_routes import RouteClass, route_class
from fhir_mappings.readable import (
    MalformedResourceError,
    Unreadable,
    read_each,
    reference_of,
)

# The resource types that record a patient taking, being given, dispensed or prescribed a drug.
MEDICATION_RECORD_TYPES = ("MedicationStatement", "MedicationRequest", "MedicationAdministration", "MedicationDispense")


@immutable
class Exposure:
    """One record's exposure to one ingredient.

    Dates: the first day lies in [start, start_latest] and the last in [end_earliest, end]
    (a range only when the record's date is partial); `end` None is ongoing; `start` None
    is undated. `start` is the record's own (authoredOn, effective start, whenHandedOver).
    `started_at` is that start's moment in UTC when written with a time and zone (it
    orders two records starting on one day). `daily_mg` is this record's daily dose
    (None: unknown, with `dose_problem`); for a MedicationAdministration, the dose given.
    `as_needed`: a dosage is taken as needed (asNeeded), so a rule that needs a daily
    dose may count it unknown (portfolio G4). `route_class` is the record's route class
    (portfolio G3, `medication_routes.py`), `route_basis` what it was read from. `groups`
    names the drug groups of medications.yaml the ingredient belongs to.
    """

    ingredient: str
    reference: str
    code: str
    label: str
    start: date | None
    start_latest: date | None
    end: date | None
    end_earliest: date | None
    started_at: datetime | None = None
    daily_mg: Decimal | None = None
    dose_problem: str | None = None
    as_needed: bool = False
    route_class: RouteClass = "unknown"
    route_basis: str = ""
    groups: frozenset[str] = frozenset()

    @property
    def record_type(self) -> str:
        """The FHIR resource type of the record (MedicationRequest, ...)."""
        return self.reference.split("/", 1)[0]

    @property
    def partially_dated(self) -> bool:
        """Whether a date of the record is partial (a year or a month), so its days are a range."""
        return self.start != self.start_latest or self.end != self.end_earliest

    @property
    def start_span(self) -> Span | None:
        """The days the first day can be (None: undated)."""
        return None if self.start is None or self.start_latest is None else Span.between(self.start, self.start_latest)

    @property
    def end_span(self) -> Span | None:
        """The days the last day can be (None: ongoing)."""
        return None if self.end is None or self.end_earliest is None else Span.between(self.end_earliest, self.end)

    def possible_days(self, as_of: date) -> tuple[date, date] | None:
        """The widest [first, last] the record can cover up to `as_of` (None: none, or undated)."""
        if self.start is None or self.start > as_of:
            return None
        last = as_of if self.end is None else min(self.end, as_of)
        return (self.start, last) if self.start <= last else None

    def certain_days(self, as_of: date) -> tuple[date, date] | None:
        """The days up to `as_of` the record covers whatever its partial dates mean (None: none sure)."""
        if self.start_latest is None or self.start_latest > as_of:
            return None
        last = as_of if self.end_earliest is None else min(self.end_earliest, as_of)
        return (self.start_latest, last) if self.start_latest <= last else None


@immutable
class UnidentifiedMedication:
    """A counted medication record whose drug neither code nor name identifies."""

    reference: str
    code: str | None
    text: str | None

    def to_json(self) -> dict[str, Any]:
        """The entry of the evaluation JSON's `unidentified_medications`."""
        return {"reference": self.reference, "code": self.code, "text": self.text}


@dataclass(frozen=True)
class MedicationRecords:
    """What the medication records of one patient say."""

    exposures: list[Exposure]
    unidentified: list[UnidentifiedMedication]
    counted: int  # records that count, identified or not: "no medication records" differs from "none that qualifies"
    unreadable: list[Unreadable]


def _dosages(resource: dict[str, Any]) -> list[Any]:
    """dosageInstruction (requests, dispenses), dosage (statements: a list; administrations: one)."""
    found = resource.get("dosageInstruction")
    if found is None:
        found = resource.get("dosage")
    if found is None:
        return []
    if isinstance(found, dict):
        return [found]
    if not isinstance(found, list):
        raise MalformedResourceError("dosage is not a list or a JSON object")
    return found


def _as_needed(dosages: list[Any]) -> bool:
    """Whether a dosage is taken as needed: asNeededBoolean true, or an asNeededCodeableConcept
    (taken as needed for a reason)."""
    return any(
        isinstance(d, dict) and (d.get("asNeededBoolean") is True or d.get("asNeededCodeableConcept") is not None)
        for d in dosages
    )


def _exposures(resource: dict[str, Any], drug: DrugIdentity, period: Period) -> list[Exposure]:
    dosages = _dosages(resource)
    routes = [d.get("route") for d in dosages if isinstance(d, dict) and d.get("route") is not None]
    route = route_class(routes, drug.form, drug.route_names())
    catalog = drug_catalog()
    administered = resource.get("resourceType") == "MedicationAdministration"
    reference = reference_of(resource)
    code = drug.code or f"text|{drug.label}"
    started_at = start_instant(resource)
    as_needed = _as_needed(dosages)
    found = []
    for ingredient in drug.ingredients:
        daily, problem = daily_dose(dosages, drug.strength_of(ingredient), administered)
        found.append(
            Exposure(
                ingredient=ingredient,
                reference=reference,
                code=code,
                label=drug.label or ingredient,
                start=period.start,
                start_latest=period.start_latest,
                end=period.end,
                end_earliest=period.end_earliest,
                started_at=started_at,
                daily_mg=daily,
                dose_problem=problem,
                as_needed=as_needed,
                route_class=route.route_class,
                route_basis=route.basis,
                groups=catalog.groups_of(ingredient),
            )
        )
    return found


def _read(resource: dict[str, Any], resolve: Resolve) -> list[list[Exposure] | UnidentifiedMedication]:
    if not counts_as_taken(resource):
        return []
    drug = record_drug(resource, resolve)
    if not drug.ingredients:
        return [UnidentifiedMedication(reference_of(resource), drug.code, drug.label or None)]
    return [_exposures(resource, drug, exposure_period(resource))]


def read_medication_records(records: Iterable[dict[str, Any]], resolve: Resolve) -> MedicationRecords:
    """Exposures and unidentified drugs from MedicationStatement, MedicationRequest,
    MedicationAdministration and MedicationDispense records.

    `resolve` is `PatientRecord.resolve`: it finds the Medication a medicationReference
    names, in the record or contained in the referring resource.
    """
    readings, unreadable = read_each(records, lambda r: _read(r, resolve))
    exposures = [e for item in readings if isinstance(item, list) for e in item]
    unidentified = [item for item in readings if isinstance(item, UnidentifiedMedication)]
    return MedicationRecords(exposures, unidentified, len(readings), unreadable)
