"""REGENCY (NCT04221477) patients for the trial-file tests: the shipped trial file, a
candidate for whom every computable criterion passes, and builders of the records the
tests add to it, each shaped like a public example it names.

D is fhir_builders.AS_OF (2026-11-25) unless a test says otherwise. The tests read the
evaluation JSON (`trialcds evaluate --format json`), never engine internals.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from ehr_shapes import collection, epic_problem, lab_value, ucum
from fhir_builders import (
    AS_OF,
    SNOMED,
    Resource,
    condition,
    days_before,
    medication_administration,
    observation,
    patient,
    procedure,
)
from trial_eval import criterion, evaluate

from cds.trials.loader import load_trials
from cds.trials.schema import Trial

TRIAL_ID = "nct04221477"
CPT = "http://www.ama-assn.org/go/cpt"
IV_ROUTE = {"coding": [{"system": SNOMED, "code": "47625008", "display": "Intravenous route"}], "text": "Intravenous"}

# SNOMED CT "WHO class" lupus nephritis codes (LN-CLASS), read as the ISN/RPS class.
CLASS_II, CLASS_III, CLASS_IV, CLASS_V = "4676006", "76521009", "36402006", "52042003"


@cache
def regency() -> Trial:
    """The shipped trial file, loaded once."""
    return load_trials()[TRIAL_ID]


def evaluation(*resources: Resource, as_of: date = AS_OF, uuid_full_urls: bool = False) -> dict[str, Any]:
    """The evaluation JSON of REGENCY for a patient made of `resources` (sent under
    `urn:uuid:` fullUrls, as Synthea's transaction Bundles do, with `uuid_full_urls`)."""
    return evaluate(*resources, as_of=as_of, trial=regency(), uuid_full_urls=uuid_full_urls)


def entry(criterion_id: str, *resources: Resource, as_of: date = AS_OF, uuid_full_urls: bool = False) -> dict[str, Any]:
    """One criterion's entry of the evaluation JSON."""
    return criterion(evaluation(*resources, as_of=as_of, uuid_full_urls=uuid_full_urls), criterion_id)


def ln_class(code: str, onset: date | str | None, **kwargs: Any) -> Resource:
    """A lupus nephritis class on the problem list, as the US Core Condition problem-list
    example writes it (SNOMED CT, clinical and verification status, onsetDateTime)."""
    return condition("snomed", code, "SLE glomerulonephritis syndrome", onset=onset, **kwargs)


def epic_class_iv(onset: date, **kwargs: Any) -> Resource:
    """Class IV lupus nephritis as Epic's Condition.Read (Problems) sample sends a problem:
    an Epic local (IMO) coding, ICD-10-CM M32.14 under its OID, and SNOMED CT 36402006."""
    return epic_problem("M32.14", CLASS_IV, "Lupus nephritis, ISN/RPS class IV", onset={"onsetDateTime": onset.isoformat()}, **kwargs)


def kidney_biopsy(on: date | str, code: tuple[str, str] = ("snomed", "7246002"), **kwargs: Any) -> Resource:
    """A completed kidney biopsy as US Core's Procedure example writes it (a SNOMED CT code,
    performedDateTime); `code` ("cpt", "50200") for the percutaneous CPT code a US claim sends."""
    system, value = code
    return procedure(CPT if system == "cpt" else system, value, on, **kwargs)


def upcr_24h(value: float, unit: str | None, on: date, code: str = "13801-6", **kwargs: Any) -> Resource:
    """A 24-hour urine protein/creatinine ratio as US Core's Observation Lab example writes a
    result (valueQuantity with its UCUM code), over the effectivePeriod of a collection
    started on `on` (the result's date) and ended the next morning."""
    period = collection(f"{on.isoformat()}T08:00:00Z", f"{days_before(-1, on).isoformat()}T08:00:00Z")
    value_x = ucum(value, unit) if unit is not None else {"valueQuantity": {"value": value}}
    return lab_value(code, value_x, effective=period, **kwargs)


def twenty_four_hour_urine(protein: tuple[float, str], creatinine: tuple[float, str], on: date) -> list[Resource]:
    """A 24-hour urine panel's protein and creatinine results of one collection (the same
    effectivePeriod, started on `on`), as a lab sends the panel's members (LOINC 2889-4 and 2162-6)."""
    period = collection(f"{on.isoformat()}T07:30:00Z", f"{days_before(-1, on).isoformat()}T07:30:00Z")
    return [lab_value("2889-4", ucum(*protein), effective=period), lab_value("2162-6", ucum(*creatinine), effective=period)]


def infusion(drug: dict[str, Any], on: date, dose_mg: float = 1000) -> Resource:
    """A completed IV infusion as a MedicationAdministration (effectiveDateTime, dosage.route
    and dosage.dose), as the FHIR R4 MedicationAdministration example 'medadminexample03' writes it."""
    found = medication_administration(drug, on, dose_mg=dose_mg)
    found["dosage"]["route"] = IV_ROUTE
    return found


def candidate() -> list[Resource]:
    """A woman of 41 with active class IV lupus nephritis (Epic problem list, 60 days ago),
    a kidney biopsy 62 days ago, a 24-h UPCR of 2.3 mg/mg and an eGFR of 78 twenty days
    ago, and a negative urine hCG three days ago: every computable criterion passes."""
    return [
        patient(birth_date="1985-06-15", gender="female"),
        epic_class_iv(days_before(60)),
        kidney_biopsy(days_before(62)),
        upcr_24h(2.3, "mg/mg", days_before(20)),
        observation("98979-8", 78, "mL/min/{1.73_m2}", on=days_before(20)),
        observation("2106-3", value_code=("snomed", "260385009", "Negative"), on=days_before(3)),
    ]

