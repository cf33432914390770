"""A medication record's daily dose in mg: dose × doses per day.

Ground rule "Daily dose" (the criteria ground rules, revision of 2026-12): the dose is
doseAndRate.doseQuantity (or the low end of doseRange) in a mass unit; a dose in product
units (tablet, capsule, `{tbl}`, `TAB`, mL of a solution) is multiplied by the product's
strength, from Medication.ingredient.strength, else from the strength written in its
RxNorm name ("predniSONE 5 MG Oral Tablet" per tablet, "20 ML tocilizumab 20 MG/ML
Injection" per mL). Doses per day come from timing (fhir_mappings/timing.py); dosage text
is never parsed. A MedicationAdministration's dose is what was given (`dosage.dose`); the
engine adds up one day's administrations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache, lru_cache
from typing import Any

import orjson

from fhir_mappings.drugs import drug_catalog
from fhir_mappings.immutable import immutable
from fhir_mappings.readable import MalformedResourceError, element
from fhir_mappings.terminology import read_yaml
from fhir_mappings.timing import doses_per_day, exact, number

# A strength in a drug name: "5 MG", "0.5 MCG", "20 MG/ML", "100 MG/5 ML". Components of a
# combination product are separated by " / " (RxNorm normalized names).
_NAME_STRENGTH = re.compile(r"(\d+(?:\.\d+)?)\s*([A-Za-zµμ]+)\b(?:\s*/\s*(\d+(?:\.\d+)?)?\s*([A-Za-z]+))?")
_COMPONENT_SEPARATOR = " / "


@immutable
class Strength:
    """mg of one ingredient per unit of the product (a tablet), or per mL when `per_ml`."""

    mg: Fraction
    per_ml: bool


@dataclass(frozen=True)
class DoseUnits:
    """dose_units.yaml: mg per mass unit, mL per volume unit, product (count) units."""

    mass_mg: dict[str, Fraction]
    volume_ml: dict[str, Fraction]
    product: frozenset[str]


@cache
def dose_units() -> DoseUnits:
    """Load dose_units.yaml once (keys lower-cased: units are matched without case)."""
    data = read_yaml("dose_units.yaml")
    return DoseUnits(
        {str(k).lower(): exact(v) for k, v in data["mass"]["units"].items()},
        {str(k).lower(): exact(v) for k, v in data["volume"]["units"].items()},
        frozenset(str(u).lower() for u in data["product"]["units"]),
    )


def _unit_key(quantity: dict[str, Any]) -> str | None:
    unit = quantity.get("code") or quantity.get("unit")
    if unit is None:
        return None
    if not isinstance(unit, str):
        raise MalformedResourceError("a Quantity's unit or code is not a string")
    return unit.strip().lower()


def ratio_strength(ratio: Any) -> Strength | None:
    """A Medication.ingredient.strength Ratio (mass per product unit or per volume) as a Strength."""
    if not isinstance(ratio, dict):
        return None
    numerator = element(ratio, "numerator", dict) or {}
    denominator = element(ratio, "denominator", dict) or {}
    units = dose_units()
    mass = number(numerator.get("value"))
    mass_factor = units.mass_mg.get(_unit_key(numerator) or "")
    if mass is None or mass_factor is None:
        return None
    per = number(denominator.get("value", 1))
    per_unit = _unit_key(denominator)
    if per is None or per <= 0:
        return None
    if per_unit is None or per_unit in units.product:
        return Strength(mass * mass_factor / per, per_ml=False)
    volume = units.volume_ml.get(per_unit)
    return None if volume is None else Strength(mass * mass_factor / (per * volume), per_ml=True)


def _component_strength(component: str) -> Strength | None:
    """The one mass strength a name component states, per unit or per volume."""
    units = dose_units()
    found = []
    for value, unit, per_value, per_unit in _NAME_STRENGTH.findall(component):
        factor = units.mass_mg.get(unit.lower())
        if factor is None:
            continue  # "20 ML" (a package volume), "24 HR", "2000 UNT"
        mg = exact(value) * factor
        if not per_unit:
            found.append(Strength(mg, per_ml=False))
            continue
        volume = units.volume_ml.get(per_unit.lower())
        if volume is None:
            return None  # per actuation, per hour, per kg: not a strength per product unit
        found.append(Strength(mg / (exact(per_value or "1") * volume), per_ml=True))
    return found[0] if len(found) == 1 else None


@lru_cache(maxsize=4096)
def name_strength(name: str, ingredient: str, single_ingredient: bool) -> Strength | None:
    """The strength of `ingredient` written in a drug name, if the name states exactly one.

    A combination product's name gives each ingredient its own component ("Acetaminophen
    325 MG / predniSONE 5 MG Oral Tablet"); a one-component name counts for a
    single-ingredient product or when it names the ingredient. Remembered per distinct
    name: renewals repeat one product.
    """
    components = name.split(_COMPONENT_SEPARATOR)
    if len(components) == 1 and single_ingredient:
        return _component_strength(name)
    catalog = drug_catalog()
    naming = [c for c in components if ingredient in catalog.ingredients_by_name(c)]
    return _component_strength(naming[0]) if len(naming) == 1 else None


def _dose_mg(quantity: Any, strength: Strength | None) -> tuple[Fraction | None, str | None]:
    """One administration's dose in mg, or why it cannot be had."""
    if not isinstance(quantity, dict):
        return None, "no dose quantity"
    value = number(quantity.get("value"))
    if value is None:
        return None, "no dose quantity"
    units = dose_units()
    key = _unit_key(quantity)
    if key is not None and key in units.mass_mg:
        return value * units.mass_mg[key], None
    if key is None or key in units.product:
        if strength is None or strength.per_ml:
            return None, "dose in product units and no strength per unit"
        return value * strength.mg, None
    if key in units.volume_ml:
        if strength is None or not strength.per_ml:
            return None, "dose in mL and no strength per mL"
        return value * units.volume_ml[key] * strength.mg, None
    return None, f"dose unit {quantity.get('code') or quantity.get('unit')} is neither a mass nor a product unit"


def _prescribed_quantity(dosage: dict[str, Any]) -> Any:
    """doseAndRate's doseQuantity, else the low end of its doseRange."""
    rates = element(dosage, "doseAndRate", list) or []
    for rate in rates:
        if isinstance(rate, dict) and isinstance(rate.get("doseQuantity"), dict):
            return rate["doseQuantity"]
    for rate in rates:
        if isinstance(rate, dict) and isinstance(rate.get("doseRange"), dict):
            return rate["doseRange"].get("low")
    return None


def _as_decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def daily_dose(dosages: list[Any], strength: Strength | None, administered: bool) -> tuple[Decimal | None, str | None]:
    """mg per day from a record's dosages, or None with the reason.

    A MedicationAdministration (`administered`) gives the dose it records. Several
    dosage instructions with one `sequence` are taken together and add up; instructions
    in sequence (a taper) or without a sequence do not say which applies on a day.
    Remembered per distinct dosages and strength: renewals repeat one prescription.
    """
    if not dosages:
        return None, "no dosage"
    if not all(isinstance(d, dict) for d in dosages):
        raise MalformedResourceError("a Dosage is not a JSON object")
    return _daily_dose_of(orjson.dumps(dosages), strength, administered)


@lru_cache(maxsize=4096)
def _daily_dose_of(dosages_json: bytes, strength: Strength | None, administered: bool) -> tuple[Decimal | None, str | None]:
    dosages: list[dict[str, Any]] = orjson.loads(dosages_json)
    if administered:
        dose, problem = _dose_mg(dosages[0].get("dose"), strength)
        return (None, problem) if dose is None else (_as_decimal(dose), None)
    sequences = {d.get("sequence") for d in dosages}
    if len(dosages) > 1 and (len(sequences) > 1 or None in sequences):
        return None, "several dosage instructions in sequence"
    total = Fraction(0)
    for dosage in dosages:
        dose, problem = _dose_mg(_prescribed_quantity(dosage), strength)
        if dose is None:
            return None, problem
        per_day = doses_per_day(dosage.get("timing"))
        if per_day is None:
            return None, "dosing frequency not stated in timing"
        total += dose * per_day
    return _as_decimal(total), None
