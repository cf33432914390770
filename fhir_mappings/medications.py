"""Medication records -> exposure intervals per ingredient, with a daily dose when computable.

Interval rules are the criteria ground rules: MedicationStatement and
MedicationAdministration from effective[x] (a period with no end is ongoing if the
status is active, else it ends at its start); MedicationRequest from authoredOn to
validityPeriod.end, else authoredOn + expectedSupplyDuration, else ongoing if active or
on-hold, else authoredOn itself. Exposures of one ingredient that overlap or touch merge.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

import orjson

from fhir_mappings.coding import Coding, codings_of, concept_text
from fhir_mappings.dates import calendar_date
from fhir_mappings.drugs import DrugCatalog, drug_catalog
from fhir_mappings.immutable import immutable
from fhir_mappings.readable import (
    Unreadable,
    element,
    read_each,
    reference_of,
    status_of,
)
from fhir_mappings.terminology import read_yaml
from fhir_mappings.units import UnitError, convert

# The resource types that record a patient taking (or being prescribed) a drug.
MEDICATION_RECORD_TYPES = ("MedicationStatement", "MedicationRequest", "MedicationAdministration")
IGNORED_STATUSES = frozenset({"entered-in-error", "not-taken", "not-done", "cancelled", "draft"})
ONGOING_REQUEST_STATUSES = frozenset({"active", "on-hold"})
STRENGTH_MG = re.compile(r"(\d+(?:\.\d+)?)\s*mg\b(?!\s*/)", re.IGNORECASE)


@immutable
class Exposure:
    """One record's exposure to one ingredient over [start, end] (end None: ongoing);
    `groups` names the drug groups of medications.yaml the ingredient belongs to."""

    ingredient: str
    reference: str
    code: str
    label: str
    start: date | None
    end: date | None
    daily_mg: Decimal | None = None
    dose_problem: str | None = None
    systemic: bool = True
    groups: frozenset[str] = frozenset()

    def end_on(self, as_of: date) -> date:
        """The last day that counts at `as_of`: days after it never count."""
        return as_of if self.end is None or self.end > as_of else self.end

    def ongoing_at(self, as_of: date) -> bool:
        """Whether the exposure covers `as_of` itself."""
        return self.start is not None and self.start <= as_of and (self.end is None or self.end >= as_of)


@dataclass(frozen=True)
class TimingTable:
    """timing.yaml: abbreviations, period units and count-like dose units."""

    per_day: dict[str, Decimal]
    period_days: dict[str, Decimal]
    count_units: frozenset[str]


@cache
def timing_table() -> TimingTable:
    """Load timing.yaml once."""
    data = read_yaml("timing.yaml")
    return TimingTable(
        {k.upper(): Decimal(str(v)) for k, v in data["per_day"].items()},
        {k: Decimal(str(v)) for k, v in data["period_unit_days"].items()},
        frozenset(str(u).lower() for u in data["count_units"]),
    )


@lru_cache(maxsize=4096)
def _strength_mg(label: str) -> Decimal | None:
    """The one mg strength a product label states ("predniSONE 5 MG Oral Tablet"), if exactly one.

    Remembered per distinct label: renewals repeat the same label.
    """
    strengths = STRENGTH_MG.findall(label)
    return Decimal(strengths[0]) if len(strengths) == 1 else None


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return _decimal_of(value)


@lru_cache(maxsize=4096, typed=True)
def _decimal_of(value: int | float) -> Decimal:
    # Doses, frequencies and periods repeat (1 tablet, once, per 1 day): each distinct
    # number is converted once; typed, since 1 and 1.0 read as Decimal 1 and 1.0.
    return Decimal(str(value))


def _per_day(timing: Any) -> Decimal | None:
    """Administrations per day from Dosage.timing (repeat, else code)."""
    if not isinstance(timing, dict):
        return None
    table = timing_table()
    repeat = timing.get("repeat")
    if isinstance(repeat, dict) and ("frequency" in repeat or "period" in repeat):
        frequency = _number(repeat.get("frequency", 1))
        period = _number(repeat.get("period", 1))
        unit_days = table.period_days.get(repeat.get("periodUnit", "d"))
        if frequency is None or period is None or period <= 0 or unit_days is None:
            return None
        return frequency / (period * unit_days)
    for coding in codings_of(timing.get("code")):
        if coding.code.upper() in table.per_day:
            return table.per_day[coding.code.upper()]
    return None


def _dose_mg(quantity: Any, strength_mg: Decimal | None) -> Decimal | None:
    """One administration's dose in mg; a count of units needs the product strength."""
    value = _number(quantity.get("value")) if isinstance(quantity, dict) else None
    if value is None:
        return None
    assert isinstance(quantity, dict)
    unit = quantity.get("code") or quantity.get("unit")
    if unit is None or str(unit).lower() in timing_table().count_units:
        return value * strength_mg if strength_mg is not None else None
    try:
        return convert(value, str(unit), "mg")
    except UnitError:
        return None


def _daily_mg(dosages: list[Any], strength_mg: Decimal | None, single_day: bool) -> tuple[Decimal | None, str | None]:
    """Daily dose from the first dosage; a MedicationAdministration is that day's dose.

    Remembered per distinct dosage (its JSON), strength and kind: the renewals of one
    prescription repeat one dosage, and working it out is most of reading a record.
    """
    if not dosages or not isinstance(dosages[0], dict):
        return None, "no dosage"
    strength = None if strength_mg is None else str(strength_mg)  # 5 and 5.0 are one key as Decimals
    return _daily_mg_of(orjson.dumps(dosages[0]), strength, single_day)


@lru_cache(maxsize=4096)
def _daily_mg_of(dosage_json: bytes, strength: str | None, single_day: bool) -> tuple[Decimal | None, str | None]:
    dosage = orjson.loads(dosage_json)
    strength_mg = None if strength is None else Decimal(strength)
    quantity = dosage.get("dose")
    for rate in dosage.get("doseAndRate") or []:
        if isinstance(rate, dict) and rate.get("doseQuantity"):
            quantity = rate["doseQuantity"]
            break
    dose = _dose_mg(quantity, strength_mg)
    if dose is None:
        return None, "dose not computable in mg"
    if single_day:
        return dose, None
    per_day = _per_day(dosage.get("timing"))
    if per_day is None:
        return None, "dosing frequency not stated"
    return dose * per_day, None


def _medication_concepts(resource: dict[str, Any], medications: Mapping[str, dict[str, Any]]) -> list[Any]:
    """The medication CodeableConcept, or the referenced Medication's code and ingredients."""
    if resource.get("medicationCodeableConcept"):
        return [resource["medicationCodeableConcept"]]
    reference = element(resource, "medicationReference", dict) or {}
    ref = reference.get("reference", "")
    medication = None
    if isinstance(ref, str) and ref.startswith("#"):
        medication = next((c for c in resource.get("contained") or [] if c.get("id") == ref[1:]), None)
    elif isinstance(ref, str):
        medication = medications.get(ref.split("/_history")[0])
    if not isinstance(medication, dict):
        return [{"text": reference.get("display", "")}]
    concepts = [medication.get("code") or {}]
    concepts += [i.get("itemCodeableConcept") for i in medication.get("ingredient") or [] if isinstance(i, dict)]
    return [c for c in concepts if c]


def _interval(resource: dict[str, Any]) -> tuple[date | None, date | None]:
    """[start, end] per the ground rules; end None means ongoing."""
    status = resource.get("status")
    if resource.get("resourceType") == "MedicationRequest":
        start = calendar_date(resource.get("authoredOn"))
        dispense = resource.get("dispenseRequest") or {}
        validity_end = calendar_date((dispense.get("validityPeriod") or {}).get("end"))
        if start is None:
            return None, validity_end
        if validity_end is not None:
            return start, validity_end
        supply = dispense.get("expectedSupplyDuration") or {}
        days = _number(supply.get("value"))
        unit_days = timing_table().period_days.get(supply.get("code") or supply.get("unit") or "d")
        if days is not None and unit_days is not None:
            return start, start + timedelta(days=int(days * unit_days))
        return start, (None if status in ONGOING_REQUEST_STATUSES else start)
    if resource.get("effectiveDateTime"):
        day = calendar_date(resource["effectiveDateTime"])
        return day, day
    period = resource.get("effectivePeriod") or {}
    start, end = calendar_date(period.get("start")), calendar_date(period.get("end"))
    if start is None:
        return end, end
    if end is None:
        return start, (None if status in ("active", "in-progress") else start)
    return start, end


def _exposures_of(resource: dict[str, Any], medications: Mapping[str, dict[str, Any]], catalog: DrugCatalog) -> list[Exposure]:
    concepts = _medication_concepts(resource, medications)
    codings: list[Coding] = [c for concept in concepts for c in codings_of(concept)]
    label = next(filter(None, map(concept_text, concepts)), "")
    ingredients = catalog.ingredients_by_codes(codings) or catalog.ingredients_by_name(label)
    if not ingredients:
        return []
    start, end = _interval(resource)
    strength = _strength_mg(label) if len(ingredients) == 1 else None
    dosages = resource.get("dosageInstruction") or resource.get("dosage") or []
    if isinstance(dosages, dict):
        dosages = [dosages]
    daily, problem = _daily_mg(dosages, strength, resource.get("resourceType") == "MedicationAdministration")
    route_text = " ".join(concept_text(d.get("route")) for d in dosages if isinstance(d, dict))
    code = codings[0].token if codings else f"text|{label}"
    return [
        Exposure(
            ingredient=name,
            reference=reference_of(resource),
            code=code,
            label=label or name,
            start=start,
            end=end,
            daily_mg=daily,
            dose_problem=problem,
            systemic=not catalog.is_non_systemic(f"{label} {route_text}"),
            groups=catalog.groups_of(name),
        )
        for name in ingredients
    ]


def counts_as_taken(resource: dict[str, Any]) -> bool:
    """Whether a medication record counts at all (not entered in error, not-taken, cancelled...)."""
    return status_of(resource) not in IGNORED_STATUSES


def extract_exposures(
    records: Iterable[dict[str, Any]], medications: Mapping[str, dict[str, Any]]
) -> tuple[list[Exposure], list[Unreadable]]:
    """Exposures from MedicationStatement, MedicationRequest and MedicationAdministration.

    `medications` maps `Medication/id` to Medication resources for medicationReference.
    """
    catalog = drug_catalog()
    return read_each(
        records, lambda r: _exposures_of(r, medications, catalog) if counts_as_taken(r) else []
    )


def merge_exposures(exposures: Iterable[Exposure], as_of: date) -> list[Exposure]:
    """One exposure per run of an ingredient: records that overlap or touch merge.

    A renewal does not restart a drug. Exposures that start after `as_of` never count;
    undated ones are kept apart (start None) so a criterion can call them unknown.
    """
    by_ingredient: dict[str, list[Exposure]] = {}
    undated: list[Exposure] = []
    for exposure in exposures:
        if exposure.start is None:
            undated.append(exposure)
        elif exposure.start <= as_of:
            by_ingredient.setdefault(exposure.ingredient, []).append(exposure)
    merged: list[Exposure] = []
    for items in by_ingredient.values():
        items.sort(key=lambda e: e.start or date.min)
        # The run's end is tracked apart and written once per run (`replace` per record
        # dominated for records renewed hundreds of times).
        current, end = items[0], items[0].end
        for item in items[1:]:
            assert item.start is not None
            if end is None or item.start <= end + timedelta(days=1):
                end = None if end is None or item.end is None else max(end, item.end)
            else:
                merged.append(current if end == current.end else replace(current, end=end))
                current, end = item, item.end
        merged.append(current if end == current.end else replace(current, end=end))
    return merged + undated
