"""Builders of valid FHIR R4 resources, shaped the way an EHR (or Synthea) sends them.

Tests describe a patient in clinical terms (a hemoglobin of 84 g/L ten days ago, an
active SLE Condition) and these builders write the FHIR JSON: UCUM quantities with
system and code, CodeableConcepts from the proper terminology.hl7.org code systems,
RxNorm codings with dosage and timing. `test_fhir_builders.py` validates their output
with the `fhir.resources.R4B` models, so fixtures stay valid FHIR.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

Resource = dict[str, Any]
When = date | str

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
UCUM = "http://unitsofmeasure.org"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
REQUEST_INTENT_ORDER = "order"
EHR_BASE = "https://ehr.example.org/fhir"

SYSTEMS = {"loinc": LOINC, "snomed": SNOMED, "icd10cm": ICD10CM, "rxnorm": RXNORM, "cvx": CVX}

# The evaluation date D used throughout the engine tests.
AS_OF = date(2026, 11, 25)
PATIENT_ID = "p1"
SUBJECT = {"reference": f"Patient/{PATIENT_ID}"}

_ids = itertools.count(1)


def days_before(days: int, as_of: date = AS_OF) -> date:
    """D minus `days` (negative: after D)."""
    return as_of - timedelta(days=days)


def _iso(when: When) -> str:
    return when.isoformat() if isinstance(when, date) else when


def _id(prefix: str, given: str | None) -> str:
    return given or f"{prefix}-{next(_ids)}"


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    """A Coding; `system` is a URI or one of the short names in SYSTEMS."""
    found = {"system": SYSTEMS.get(system, system), "code": code}
    if display:
        found["display"] = display
    return found


def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> dict[str, Any]:
    """A CodeableConcept with one coding."""
    found: dict[str, Any] = {"coding": [coding(system, code, display)]}
    if text:
        found["text"] = text
    return found


def patient(birth_date: When | None = "1985-06-15", gender: str | None = "female", id: str = PATIENT_ID) -> Resource:
    """A Patient with an optional birthDate and administrative gender."""
    found: Resource = {"resourceType": "Patient", "id": id, "name": [{"family": "Test", "given": ["Pat"]}]}
    if gender:
        found["gender"] = gender
    if birth_date:
        found["birthDate"] = _iso(birth_date)
    return found


def observation(
    loinc: str,
    value: float | int | str | None = None,
    unit: str | None = None,
    *,
    on: When = AS_OF,
    status: str = "final",
    ucum: bool = True,
    comparator: str | None = None,
    ref_high: float | None = None,
    ref_unit: str | None = None,
    interpretation: str | None = None,
    value_string: str | None = None,
    value_code: tuple[str, str, str] | None = None,
    category: str = "laboratory",
    id: str | None = None,
) -> Resource:
    """A lab Observation dated `on` (a dateTime with a time and offset, as labs send).

    `value` with `unit` becomes valueQuantity (UCUM system and code unless `ucum` is
    False, then only the unit text); `value_string` a valueString; `value_code` a
    (system, code, display) valueCodeableConcept. `interpretation` is a v3
    ObservationInterpretation code.
    """
    found: Resource = {
        "resourceType": "Observation",
        "id": _id("obs", id),
        "status": status,
        "category": [{"coding": [coding(OBSERVATION_CATEGORY, category)]}],
        "code": concept("loinc", loinc),
        "subject": SUBJECT,
        "effectiveDateTime": f"{_iso(on)}T09:30:00+08:00" if isinstance(on, date) else on,
    }
    if value is not None:
        quantity: dict[str, Any] = {"value": value}
        if comparator:
            quantity["comparator"] = comparator
        if unit is not None:
            quantity["unit"] = unit
            if ucum:
                quantity["system"] = UCUM
                quantity["code"] = unit
        found["valueQuantity"] = quantity
    if value_string is not None:
        found["valueString"] = value_string
    if value_code is not None:
        found["valueCodeableConcept"] = concept(*value_code)
    if interpretation:
        found["interpretation"] = [{"coding": [coding(INTERPRETATION, interpretation)]}]
    if ref_high is not None:
        high_unit = ref_unit or unit
        high: dict[str, Any] = {"value": ref_high}
        if high_unit:
            high |= {"unit": high_unit, "system": UCUM, "code": high_unit}
        found["referenceRange"] = [{"high": high}]
    return found


def condition(
    system: str,
    code: str,
    display: str | None = None,
    *,
    clinical_status: str | None = "active",
    verification: str | None = "confirmed",
    onset: When | None = None,
    abatement: When | None = None,
    recorded: When | None = None,
    id: str | None = None,
) -> Resource:
    """A problem-list Condition; statuses are condition-clinical / condition-ver-status codes."""
    found: Resource = {
        "resourceType": "Condition",
        "id": _id("cond", id),
        "code": concept(system, code, display),
        "subject": SUBJECT,
    }
    if clinical_status:
        found["clinicalStatus"] = {"coding": [coding(CONDITION_CLINICAL, clinical_status)]}
    if verification:
        found["verificationStatus"] = {"coding": [coding(CONDITION_VERIFICATION, verification)]}
    if onset is not None:
        found["onsetDateTime"] = _iso(onset)
    if abatement is not None:
        found["abatementDateTime"] = _iso(abatement)
    if recorded is not None:
        found["recordedDate"] = _iso(recorded)
    return found


def medication(rxnorm: str | None = None, text: str | None = None, display: str | None = None) -> dict[str, Any]:
    """A medication CodeableConcept: an RxNorm coding and/or free text."""
    found: dict[str, Any] = {}
    if rxnorm:
        found["coding"] = [coding("rxnorm", rxnorm, display)]
    if text:
        found["text"] = text
    return found


def dosage(
    dose: float | None = None,
    unit: str = "mg",
    per_day: int | None = 1,
    *,
    route: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """A Dosage: `dose` `unit` taken `per_day` times a day (timing.repeat frequency/period)."""
    found: dict[str, Any] = {"sequence": 1, "text": "as directed"}
    if per_day is not None:
        found["timing"] = {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}}
    if dose is not None:
        quantity = {"value": dose, "unit": unit}
        if unit.startswith("{") or unit in ("mg", "g", "ug", "mL"):
            quantity |= {"system": UCUM, "code": unit}
        found["doseAndRate"] = [{"doseQuantity": quantity}]
    if route:
        found["route"] = concept("snomed", route[0], route[1])
    return found


def medication_statement(
    drug: dict[str, Any],
    start: When,
    end: When | None = None,
    *,
    status: str = "active",
    dose: dict[str, Any] | None = None,
    id: str | None = None,
) -> Resource:
    """A MedicationStatement over effectivePeriod [start, end] (no end: open)."""
    period = {"start": _iso(start)}
    if end is not None:
        period["end"] = _iso(end)
    found: Resource = {
        "resourceType": "MedicationStatement",
        "id": _id("ms", id),
        "status": status,
        "medicationCodeableConcept": drug,
        "subject": SUBJECT,
        "effectivePeriod": period,
    }
    if dose is not None:
        found["dosage"] = [dose]
    return found


def medication_request(
    drug: dict[str, Any],
    authored_on: When,
    *,
    status: str = "active",
    validity_end: When | None = None,
    supply_days: int | None = None,
    dose: dict[str, Any] | None = None,
    id: str | None = None,
) -> Resource:
    """A MedicationRequest (intent order), optionally with a dispenseRequest."""
    found: Resource = {
        "resourceType": "MedicationRequest",
        "id": _id("mr", id),
        "status": status,
        "intent": REQUEST_INTENT_ORDER,
        "medicationCodeableConcept": drug,
        "subject": SUBJECT,
        "authoredOn": f"{_iso(authored_on)}T10:00:00-05:00" if isinstance(authored_on, date) else authored_on,
    }
    dispense: dict[str, Any] = {}
    if validity_end is not None:
        dispense["validityPeriod"] = {"start": _iso(authored_on), "end": _iso(validity_end)}
    if supply_days is not None:
        dispense["expectedSupplyDuration"] = {"value": supply_days, "unit": "days", "system": UCUM, "code": "d"}
    if dispense:
        found["dispenseRequest"] = dispense
    if dose is not None:
        found["dosageInstruction"] = [dose]
    return found


def medication_administration(
    drug: dict[str, Any],
    on: When,
    *,
    status: str = "completed",
    dose_mg: float | None = None,
    id: str | None = None,
) -> Resource:
    """A MedicationAdministration given on one day."""
    found: Resource = {
        "resourceType": "MedicationAdministration",
        "id": _id("ma", id),
        "status": status,
        "medicationCodeableConcept": drug,
        "subject": SUBJECT,
        "effectiveDateTime": f"{_iso(on)}T08:00:00Z" if isinstance(on, date) else on,
    }
    if dose_mg is not None:
        found["dosage"] = {"dose": {"value": dose_mg, "unit": "mg", "system": UCUM, "code": "mg"}}
    return found


def procedure(system: str, code: str, on: When, *, status: str = "completed", id: str | None = None) -> Resource:
    """A Procedure performed on one day."""
    return {
        "resourceType": "Procedure",
        "id": _id("proc", id),
        "status": status,
        "code": concept(system, code),
        "subject": SUBJECT,
        "performedDateTime": _iso(on),
    }


def immunization(cvx: str, on: When, *, status: str = "completed", id: str | None = None) -> Resource:
    """An Immunization with a CVX vaccine code given on one day."""
    return {
        "resourceType": "Immunization",
        "id": _id("imm", id),
        "status": status,
        "vaccineCode": concept("cvx", cvx),
        "patient": SUBJECT,
        "occurrenceDateTime": _iso(on),
        "primarySource": True,
    }


def allergy(
    substance: dict[str, Any],
    *,
    clinical_status: str | None = "active",
    verification: str | None = "confirmed",
    recorded: When = "2015-03-01",
    id: str | None = None,
) -> Resource:
    """An AllergyIntolerance to a medication substance (RxNorm coding and/or text)."""
    found: Resource = {
        "resourceType": "AllergyIntolerance",
        "id": _id("allergy", id),
        "type": "allergy",
        "category": ["medication"],
        "code": substance,
        "patient": SUBJECT,
        "recordedDate": _iso(recorded),
    }
    if clinical_status:
        found["clinicalStatus"] = {"coding": [coding(ALLERGY_CLINICAL, clinical_status)]}
    if verification:
        found["verificationStatus"] = {"coding": [coding(ALLERGY_VERIFICATION, verification)]}
    return found


def bundle(*resources: Resource, type: str = "collection", with_patient: bool = True) -> Resource:
    """A Bundle of one patient's resources; a default Patient is added unless one is given."""
    items = list(resources)
    if with_patient and not any(r["resourceType"] == "Patient" for r in items):
        items.insert(0, patient())
    entries = []
    for r in items:
        entry: dict[str, Any] = {"fullUrl": f"{EHR_BASE}/{r['resourceType']}/{r['id']}", "resource": r}
        if type in ("transaction", "batch"):
            entry["request"] = {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}
        entries.append(entry)
    return {"resourceType": "Bundle", "type": type, "entry": entries}
