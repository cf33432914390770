"""The EHR-shaped builders (`tests/support/ehr_shapes.py`) write valid FHIR R4."""

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

SAMPLES: list[dict[str, Any]] = [
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


@pytest.mark.parametrize("resource", SAMPLES, ids=lambda r: f"{r['resourceType']}-{r['id']}")
def test_ehr_shaped_builder_output_is_valid_fhir(resource: dict[str, Any]) -> None:
    _model(resource["resourceType"]).model_validate(resource)
