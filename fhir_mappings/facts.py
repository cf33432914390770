"""All normalized facts of one patient, extracted once per evaluation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fhir_mappings.allergies import AllergyFact, extract_allergies
from fhir_mappings.conditions import ConditionFact, extract_conditions
from fhir_mappings.events import CodedEvent, extract_immunizations, extract_procedures
from fhir_mappings.labs import LabResult, analytes, extract_lab_results
from fhir_mappings.medications import IGNORED_STATUSES, Exposure, extract_exposures
from fhir_mappings.patient import Demographics, extract_demographics
from fhir_mappings.record import PatientRecord

MEDICATION_TYPES = ("MedicationStatement", "MedicationRequest", "MedicationAdministration")


@dataclass(frozen=True)
class Facts:
    """What the engine reads: never FHIR JSON, always these typed facts.

    `medication_records` counts every usable medication record, matched to a known
    ingredient or not, because "no medication records at all" differs from "none that
    qualifies".
    """

    demographics: Demographics
    labs: Mapping[str, list[LabResult]]
    conditions: list[ConditionFact]
    exposures: list[Exposure]
    medication_records: int
    immunizations: list[CodedEvent]
    procedures: list[CodedEvent]
    allergies: list[AllergyFact]
    coded_analytes: frozenset[str]


def extract_facts(
    record: PatientRecord, local_analytes: Mapping[str, tuple[tuple[str, str], ...]] | None = None
) -> Facts:
    """Turn a patient's record into facts, one pass per resource family.

    `local_analytes` are a trial's site-specific codes for inputs that have no standard
    code (analyte name -> (system, code) pairs); an analyte with no code at all is not
    in `coded_analytes`, so a criterion can say so instead of "no result".
    """
    local_analytes = local_analytes or {}
    local_codes = {code: name for name, codes in local_analytes.items() for code in codes}
    medications = {f"Medication/{m.get('id')}": m for m in record.of_type("Medication")}
    med_records = [r for t in MEDICATION_TYPES for r in record.of_type(t)]
    usable = [r for r in med_records if str(r.get("status")) not in IGNORED_STATUSES]
    return Facts(
        demographics=extract_demographics(record.patient),
        labs=extract_lab_results(record.of_type("Observation"), local_codes),
        conditions=extract_conditions(record.of_type("Condition")),
        exposures=extract_exposures(med_records, medications),
        medication_records=len(usable),
        immunizations=extract_immunizations(record.of_type("Immunization")),
        procedures=extract_procedures(record.of_type("Procedure")),
        allergies=extract_allergies(record.of_type("AllergyIntolerance")),
        coded_analytes=frozenset(analytes()) | {name for name, codes in local_analytes.items() if codes},
    )
