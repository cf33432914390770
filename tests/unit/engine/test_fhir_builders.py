"""The test builders (`fhir_builders.py`, `ehr_shapes.py`) write valid FHIR R4: each kind of
resource parses with fhir.resources."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from ehr_shapes import (
    OID_CVX,
    OID_UCUM,
    age,
    cerner_condition,
    component,
    epic_immunization,
    epic_problem,
    lab,
    procedure_on,
    quantity,
)
from fhir_builders import (
    allergy,
    bundle,
    by_reference,
    condition,
    days_before,
    dosage,
    immunization,
    ingredient,
    medication,
    medication_administration,
    medication_dispense,
    medication_request,
    medication_resource,
    medication_statement,
    observation,
    patient,
    procedure,
)

SAMPLES: list[dict[str, Any]] = [
    patient(),
    patient(birth_date="1961", gender=None),
    observation("718-7", 84, "g/L", on=days_before(3), ref_high=160),
    observation("1742-6", 80, "U/L", ref_high=40, interpretation="H"),
    observation("8061-4", value_string="1:160", interpretation="POS"),
    observation("5195-3", value_code=("snomed", "260385009", "Negative")),
    observation("2160-0", 2.5, "mg/dL", comparator=">"),
    condition("snomed", "55464009", "Systemic lupus erythematosus", onset="2019-04-02"),
    condition("icd10cm", "M32.14", clinical_status="resolved", abatement=days_before(60)),
    condition("icd10cm", "M32.9", clinical_status=None, verification="entered-in-error"),
    medication_statement(medication("8640", "prednisone"), days_before(100), dose=dosage(20, per_day=1)),
    medication_request(medication("312615", display="predniSONE 20 MG Oral Tablet"), days_before(20),
                       validity_end=days_before(-10), supply_days=30, dose=dosage(5, "{tablet}", per_day=1)),
    medication_administration(medication("121191", "rituximab"), days_before(200), dose_mg=1000),
    procedure("snomed", "302497006", days_before(5)),
    immunization("03", days_before(10)),
    allergy(medication("121191", "rituximab"), clinical_status="inactive"),
    medication_request(medication("8640", "prednisone"), days_before(80), supply_days=30, repeats=2,
                       dose=dosage(200, timing_code="QOD")),
    medication_request(medication("8640", "prednisone"), "2026-02", dose=dosage(dose_range=(5, 10), every=(12, "h"))),
    medication_dispense(medication("5521", "hydroxychloroquine"), days_before(10), days_supply=30,
                        prepared=days_before(11), dose=dosage(1, "TAB", per_day=2)),
    medication_resource(id="m-sol", text="prednisolone oral solution", form=("385023001", "Oral solution"),
                        ingredients=(ingredient(medication("8638", display="prednisolone"), mg=100, per=(5, "mL", "mL")),)),
    by_reference(medication_request(medication(), days_before(5)), "#m-tab", display="predniSONE 20 MG tablet",
                 contained=medication_resource(id="m-tab", ingredients=(
                     ingredient(medication("8640"), mg=20, per=(1, "tablet", "TAB")), ingredient(reference="Substance/s1")))),
    medication_administration(medication("312617", display="predniSONE 5 MG Oral Tablet"), days_before(1),
                              dose=(4, "TAB")),
    medication_request(medication("8640", "prednisone"), days_before(3),
                       dose=dosage(5, times_of_day=("08:00:00", "20:00:00"), as_needed=True, route_text="by mouth")),
    medication_request(medication("3002", "cyclophosphamide"), days_before(3),
                       dose=dosage(1000, route=("47625008", "Intravenous route"), route_text="IV")),
    allergy(medication("161", "Acetaminophen"), type="intolerance", clinical_status=None),
    allergy(medication(text="Plaquenil"), type=None),
]


# Shaped the way Epic, Oracle Health and US Core send records (tests/support/ehr_shapes.py).
EHR_SAMPLES: list[dict[str, Any]] = [
    epic_problem("M32.9", "55464009", "Systemic lupus erythematosus", onset={"onsetDateTime": "2019-05"}, recorded="2019-06-02"),
    epic_problem("F32.9", clinical=None, clinical_text="Active", onset={"onsetAge": age(45)}),
    epic_problem("F32.9", clinical="resolved", abatement={"abatementAge": age(3, "mo")}, status_local_first=True),
    epic_problem("F32.9", onset={"onsetPeriod": {"start": "2020"}}, verification="provisional"),
    epic_problem("F32.9", onset={"onsetString": "childhood"}, recorded="2021-03-04"),
    cerner_condition("77386006", "Pregnancy", onset={"onsetDateTime": "2025-01-10"}),
    lab("718-7", effective={"effectiveDateTime": "2026-11"}, value=quantity(8.1, "g/dL", "g/dL", OID_UCUM)),
    lab("718-7", effective={"effectivePeriod": {"start": "2026-11-20T08:00:00Z"}}, value=quantity(81, "g/L")),
    lab("2160-0", effective={"effectiveInstant": "2026-11-20T08:00:00.000Z"}, value={"valueString": "<0.5"}),
    lab("24357-6", effective={"effectiveDateTime": "2026-11-20"}, components=[component("2889-4", quantity(7.2, "g/(24.h)"))]),
    lab("5195-3", effective={"effectiveDateTime": "2026-11-20"}, value={"dataAbsentReason": {"coding": [
        {"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "error"}]}}),
    epic_immunization("03", occurrence={"occurrenceDateTime": "2026-11-10"}),
    epic_immunization("21", occurrence={"occurrenceString": "Childhood, date unknown"}, cvx_system=OID_CVX),
    procedure_on("302497006", {"performedDateTime": "2026-09"}),
]


def _model(resource_type: str) -> Any:
    module = importlib.import_module(f"fhir.resources.R4B.{resource_type.lower()}")
    return getattr(module, resource_type)


@pytest.mark.parametrize("resource", SAMPLES + EHR_SAMPLES, ids=lambda r: f"{r['resourceType']}-{r['id']}")
def test_builder_output_is_valid_fhir(resource: dict[str, Any]) -> None:
    _model(resource["resourceType"]).model_validate(resource)


@pytest.mark.parametrize("bundle_type", ["collection", "transaction", "batch", "searchset"])
def test_bundle_is_valid_fhir(bundle_type: str) -> None:
    built = bundle(*SAMPLES[2:], type=bundle_type)
    parsed = _model("Bundle").model_validate(built)
    assert len(parsed.entry) == len(SAMPLES) - 1  # the default Patient is added


def test_invalid_resource_is_rejected_by_the_validator() -> None:
    """The validation above can fail: a resource without its required status does."""
    broken = observation("718-7", 84, "g/L")
    del broken["status"]
    with pytest.raises(ValueError):
        _model("Observation").model_validate(broken)
