"""Patients for the NCT03543839 trial-file tests, written as EHRs send them.

Each builder names the public example whose shape it imitates; `fhir_builders.py` and
`ehr_shapes.py` write the FHIR JSON (validated against the R4B models by
`tests/unit/engine/test_fhir_builders.py` and by `tests/unit/trials/test_nct03543839.py`
for the builders here). `evaluate` runs the shipped trial file `cds/trials/nct03543839.yaml` and returns the
evaluation JSON that `trialcds evaluate --trial nct03543839 --format json` prints.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from ehr_shapes import cerner_condition, epic_problem
from fhir_builders import (
    AS_OF,
    Resource,
    condition,
    days_before,
    dosage,
    medication,
    medication_request,
    observation,
    patient,
)
from trial_eval import criterion
from trial_eval import evaluate as evaluate_with

from cds.trials.loader import load_trials
from cds.trials.schema import Trial

TRIAL_ID = "nct03543839"
ORAL = ("26643006", "Oral route")
SUBCUTANEOUS = ("34206005", "Subcutaneous route")
TOPICAL = ("6064005", "Topical route")

# Drugs as Synthea's MedicationRequests code them (RxNorm SCD with its display).
PREDNISONE_5 = medication("312617", display="predniSONE 5 MG Oral Tablet")
PREDNISONE_20 = medication("312615", display="predniSONE 20 MG Oral Tablet")
HCQ_200 = medication("979092", display="Hydroxychloroquine Sulfate 200 MG Oral Tablet")
MTX_2_5 = medication("105585", display="Methotrexate 2.5 MG Oral Tablet")


@cache
def nct03543839() -> Trial:
    """The shipped trial file, loaded as the service loads it."""
    return load_trials()[TRIAL_ID]


def evaluate(*resources: Resource, as_of: date = AS_OF) -> dict[str, Any]:
    """The evaluation JSON of NCT03543839 for a patient made of `resources`."""
    return evaluate_with(*resources, as_of=as_of, trial=nct03543839())


def entry(criterion_id: str, *resources: Resource, as_of: date = AS_OF) -> dict[str, Any]:
    """One criterion's entry of the evaluation JSON."""
    return criterion(evaluate(*resources, as_of=as_of), criterion_id)


def status(criterion_id: str, *resources: Resource, as_of: date = AS_OF) -> str:
    """One criterion's status."""
    return entry(criterion_id, *resources, as_of=as_of)["status"]


def sle(onset: date | str = "2025-09-10", **kwargs: Any) -> Resource:
    """An SLE problem as Epic's FHIR R4 Condition.Read (Problems) sample sends it: an IMO
    local coding, ICD-10-CM M32.9 under its OID, and SNOMED CT 55464009."""
    return epic_problem("M32.9", "55464009", "Systemic lupus erythematosus", onset={"onsetDateTime": str(onset)}, **kwargs)


def synthea_lupus(onset: date | str = "2025-09-10") -> Resource:
    """Lupus as Synthea codes it: SNOMED CT 200936003 'Lupus erythematosus', not 'systemic'."""
    return condition("snomed", "200936003", "Lupus erythematosus", onset=onset)


def icd_problem(code: str, text: str, **kwargs: Any) -> Resource:
    """An ICD-10-CM-only problem, as Epic sends a problem without a SNOMED CT mapping."""
    return epic_problem(code, None, text, **kwargs)


def lab(loinc: str, value: float, unit: str, days: int = 5, **kwargs: Any) -> Resource:
    """A final laboratory result `days` before D, shaped like the US Core Observation Lab
    example (UCUM valueQuantity with system and code)."""
    return observation(loinc, value, unit, on=days_before(days), **kwargs)


def coded_result(loinc: str, snomed: str, display: str, on: date | str, **kwargs: Any) -> Resource:
    """A qualitative result with a SNOMED CT qualifier value, as Synthea and the US Core
    Observation Lab examples send serology ('Positive' 10828004, 'Negative' 260385009)."""
    return observation(loinc, value_code=("snomed", snomed, display), on=on, **kwargs)


def positive(loinc: str, on: date | str = "2024-05-02", **kwargs: Any) -> Resource:
    """A positive qualitative result (SNOMED CT 10828004)."""
    return coded_result(loinc, "10828004", "Positive", on, **kwargs)


def negative(loinc: str, on: date | str = "2024-05-02", **kwargs: Any) -> Resource:
    """A negative qualitative result (SNOMED CT 260385009)."""
    return coded_result(loinc, "260385009", "Negative", on, **kwargs)


def weight(kg: float = 60, unit: str = "kg", days: int = 30) -> Resource:
    """A US Core body-weight vital sign (LOINC 29463-7)."""
    return observation("29463-7", kg, unit, on=days_before(days), category="vital-signs")


def order(drug: dict[str, Any], start: int, *, end: int | None = None, dose: dict[str, Any] | None = None, **kwargs: Any) -> Resource:
    """A MedicationRequest shaped like the US Core MedicationRequest example, authored
    `start` days before D: active with no end, or completed with validityPeriod.end `end`
    days before D."""
    if end is None:
        return medication_request(drug, days_before(start), dose=dose, **kwargs)
    return medication_request(drug, days_before(start), status="completed", validity_end=days_before(end), dose=dose, **kwargs)


def prednisone_daily(mg: float, start: int, end: int | None = None, *, tablet: dict[str, Any] = PREDNISONE_5, per_tablet: float = 5) -> Resource:
    """An oral prednisone order of `mg` mg once a day in tablets, as Synthea writes its
    MedicationRequests (SCD display, doseQuantity `{value: n}` tablets, timing.repeat)."""
    return order(tablet, start, end=end, dose=dosage(mg / per_tablet, "{tbl}", 1, route=ORAL))


def hcq(start: int = 400, end: int | None = None) -> Resource:
    """Hydroxychloroquine 200 mg twice a day (Synthea SCD)."""
    return order(HCQ_200, start, end=end, dose=dosage(1, "{tbl}", 2, route=ORAL))


def unrelated_drug() -> Resource:
    """A lisinopril order (Synthea SCD), so the record has medication records."""
    return order(medication("314076", display="lisinopril 10 MG Oral Tablet"), 300, dose=dosage(1, "{tbl}", 1, route=ORAL))


def cns_event(snomed: str, display: str, **kwargs: Any) -> Resource:
    """A CNS event as Oracle Health (Cerner Millennium) sends a problem: a code set 400
    coding first, then SNOMED CT under its HL7 OID."""
    return cerner_condition(snomed, display, onset={"onsetDateTime": "2026-10-01"}, **kwargs)


def candidate() -> list[Resource]:
    """A woman diagnosed with SLE 14 months before D whose record the trial's computable
    criteria all accept: ANA 1:160 and anti-dsDNA positive, hydroxychloroquine for a year
    and prednisone 5 mg/day, normal recent CBC, liver tests and eGFR, negative hepatitis and
    HIV serology, and a negative serum hCG on the screening day (D)."""
    return [
        patient("1990-03-10", "female"),
        sle("2025-09-10"),
        observation("5048-4", value_string="1:160", on="2025-08-20"),
        positive("5130-0", "2025-08-20"),
        hcq(400),
        prednisone_daily(5, 200),
        weight(62, days=10),
        lab("718-7", 12.1, "g/dL"),
        lab("777-3", 220, "10*3/uL"),
        lab("751-8", 3.2, "10*3/uL"),
        lab("1742-6", 22, "U/L"),
        lab("1920-8", 25, "U/L"),
        lab("62238-1", 95, "mL/min/{1.73_m2}"),
        negative("5196-1", "2025-08-20"),
        negative("16933-4", "2025-08-20"),
        negative("16128-1", "2025-08-20"),
        negative("56888-1", "2025-08-20"),
        negative("2118-8", AS_OF),
    ]
