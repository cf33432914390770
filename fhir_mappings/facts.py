"""All normalized facts of one patient, extracted once per evaluation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fhir_mappings.allergies import AllergyFact, extract_allergies
from fhir_mappings.conditions import ConditionFact, extract_conditions
from fhir_mappings.encounters import EncounterFact, extract_encounters
from fhir_mappings.events import CodedEvent, extract_immunizations, extract_procedures
from fhir_mappings.labs import LabResult, analytes, extract_lab_results
from fhir_mappings.medications import (
    MEDICATION_RECORD_TYPES,
    Exposure,
    UnidentifiedMedication,
    read_medication_records,
)
from fhir_mappings.patient import Demographics, extract_demographics
from fhir_mappings.readable import Unreadable
from fhir_mappings.record import MissingData, PatientRecord


@dataclass(frozen=True)
class Facts:
    """What the engine reads: never FHIR JSON, always these typed facts.

    `medication_records` counts every usable medication record, matched to a known
    ingredient or not, because "no medication records at all" differs from "none that
    qualifies"; `unidentified_medications` are the counted ones whose drug no code or name
    identified (they match no drug criterion; the evaluation lists them). `unreadable`
    holds, by resource type, the resources whose JSON could not be read, and the types
    that could not be had at all (`PatientRecord.missing`, also kept as `missing_data`
    for the evaluation): criteria that read that type can then not be `not_met`. `memo`
    holds what the engine derives from these facts and would otherwise work out again for
    another criterion or trial (a drug group's daily doses over a window): the facts never
    change once extracted.
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
    unreadable: Mapping[str, tuple[Unreadable, ...]]
    unidentified_medications: tuple[UnidentifiedMedication, ...] = ()
    missing_data: tuple[MissingData, ...] = ()
    encounters: list[EncounterFact] = field(default_factory=list)
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


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
    med_records = [r for t in MEDICATION_RECORD_TYPES for r in record.of_type(t)]
    labs, bad_labs = extract_lab_results(record.of_type("Observation"), local_codes)
    demographics = extract_demographics(record.patient)
    conditions, bad_conditions = extract_conditions(record.of_type("Condition"), demographics.birth)
    medications = read_medication_records(med_records, record.resolve)
    immunizations, bad_immunizations = extract_immunizations(record.of_type("Immunization"))
    procedures, bad_procedures = extract_procedures(record.of_type("Procedure"))
    allergies, bad_allergies = extract_allergies(record.of_type("AllergyIntolerance"))
    encounters, bad_encounters = extract_encounters(
        record.of_type("Encounter"), conditions, record.resolve, record.full_urls, demographics.birth
    )
    unreadable: dict[str, tuple[Unreadable, ...]] = {}
    for item in bad_labs + bad_conditions + medications.unreadable + bad_immunizations + bad_procedures + bad_allergies + bad_encounters:
        resource_type = item.reference.split("/", 1)[0]
        unreadable[resource_type] = unreadable.get(resource_type, ()) + (item,)
    # A type that could not be had at all is, for the criteria, one more record not read.
    for gap in record.missing:
        item = Unreadable(f"the {gap.resource_type} resources", f"prefetch '{gap.key}': {gap.reason}")
        unreadable[gap.resource_type] = unreadable.get(gap.resource_type, ()) + (item,)
    return Facts(
        demographics=demographics,
        labs=labs,
        conditions=conditions,
        exposures=medications.exposures,
        medication_records=medications.counted,
        immunizations=immunizations,
        procedures=procedures,
        allergies=allergies,
        coded_analytes=frozenset(analytes()) | {name for name, codes in local_analytes.items() if codes},
        unreadable=unreadable,
        unidentified_medications=tuple(medications.unidentified),
        missing_data=record.missing,
        encounters=encounters,
    )
