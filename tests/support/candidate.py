"""A patient for whom every computable criterion of NCT05247203 passes: SLE, positive ANA,
a stable regimen, normal recent labs and negative hepatitis serology. Tests add one
record (or change one) and see what it alone does to the decision."""

from __future__ import annotations

from fhir_builders import (
    Resource,
    condition,
    days_before,
    medication,
    medication_statement,
    observation,
    patient,
)

NEGATIVE = ("snomed", "260385009", "Negative")
CANDIDATE: list[Resource] = [
    patient(birth_date="1988-04-02", gender="female"),
    condition("snomed", "55464009", onset="2019-05-01"),
    observation("8061-4", interpretation="POS", on="2019-04-20"),
    medication_statement(medication("5521", "hydroxychloroquine"), "2019-05-10", dose=None),
    observation("718-7", 120, "g/L", on=days_before(5)),
    observation("6690-2", 5.1, "10*3/uL", on=days_before(5)),
    observation("777-3", 210, "10*3/uL", on=days_before(5)),
    observation("2160-0", 0.8, "mg/dL", on=days_before(5)),
    observation("2889-4", 0.3, "g/(24.h)", on=days_before(5)),
    observation("1742-6", 22, "U/L", ref_high=40, on=days_before(5)),
    observation("1920-8", 25, "U/L", ref_high=40, on=days_before(5)),
    observation("2164-2", 95, "mL/min", on=days_before(5)),
    observation("5195-3", value_code=NEGATIVE, on=days_before(5)),
    observation("16128-1", value_code=NEGATIVE, on=days_before(5)),
    observation("16933-4", value_code=NEGATIVE, on=days_before(5)),
]
