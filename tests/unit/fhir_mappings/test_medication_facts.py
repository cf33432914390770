"""The exposure facts carry what later rules need: the route class (read from the route,
else the dose form), the record's own start and its own daily dose (one exposure per
record and ingredient; the engine joins them)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fhir_builders import (
    bundle,
    by_reference,
    days_before,
    dosage,
    ingredient,
    medication,
    medication_request,
    medication_resource,
)

from fhir_mappings.facts import extract_facts
from fhir_mappings.record import PatientRecord


def test_an_epic_order_by_reference_keeps_route_class_start_and_dose() -> None:
    """Epic MedicationRequest: medicationReference to a contained Medication with its form and
    ingredient strength; 2 tablets of 20 mg by mouth twice a day."""
    med = medication_resource(id="m1", text="predniSONE 20 MG tablet", form=("385055001", "Tablet"),
                              ingredients=(ingredient(medication("8640", display="predniSONE"), mg=20),))
    order = medication_request(medication(), days_before(12), dose=dosage(2, "TAB", per_day=2, route=("26643006", "Oral")),
                               id="mr-1")
    record = PatientRecord.from_bundle(bundle(by_reference(order, "#m1", contained=med)))
    (exposure,) = extract_facts(record).exposures
    assert exposure.ingredient == "prednisone"
    assert exposure.reference == "MedicationRequest/mr-1"
    assert exposure.start == days_before(12)  # authoredOn
    assert exposure.end is None  # active, no supply: ongoing
    assert exposure.daily_mg == Decimal(80)
    assert exposure.route_class == "oral"
    assert "26643006" in exposure.route_basis


def test_each_record_is_its_own_exposure_with_its_own_dose() -> None:
    first = medication_request(medication("8640", "prednisone"), days_before(60), status="completed",
                               validity_end=days_before(31), dose=dosage(40))
    second = medication_request(medication("8640", "prednisone"), days_before(30), dose=dosage(20))
    exposures = extract_facts(PatientRecord.from_bundle(bundle(first, second))).exposures
    assert [(e.start, e.end, e.daily_mg) for e in exposures] == [
        (days_before(60), days_before(31), Decimal(40)),
        (days_before(30), None, Decimal(20)),
    ]


def test_a_partial_date_is_kept_as_a_range_of_days() -> None:
    statement = medication_request(medication("8640", "prednisone"), "2026-02", status="completed")
    (exposure,) = extract_facts(PatientRecord.from_bundle(bundle(statement))).exposures
    assert (exposure.start, exposure.start_latest) == (date(2026, 2, 1), date(2026, 2, 28))
    assert (exposure.end_earliest, exposure.end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert exposure.partially_dated
