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
GTS_ABBREVIATION = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"
ORDERABLE_DRUG_FORM = "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm"
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
    value: float | str | None = None,
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
    timing_code: str | None = None,
    every: tuple[float, str] | None = None,
    dose_range: tuple[float, float] | None = None,
    sequence: int = 1,
    times_of_day: tuple[str, ...] = (),
    as_needed: bool = False,
    route_text: str | None = None,
) -> dict[str, Any]:
    """A Dosage: `dose` `unit` taken `per_day` times a day (timing.repeat frequency/period).

    `every` (period, periodUnit) is once per period instead ("every 8 h" is (8, "h"));
    `timing_code` a GTSAbbreviation code (QD, BID, QOD, Q1W...) in place of timing.repeat;
    `dose_range` a doseRange (low, high) in `unit` in place of doseQuantity. `unit` TAB is
    written as an orderableDrugForm code, as Epic and the US Core examples send tablets.
    `times_of_day` ("08:00:00", ...) is timing.repeat.timeOfDay with no frequency, as the
    French medication IG's inpatient MedicationRequest examples (14641, 14659) send it;
    `as_needed` sets asNeededBoolean; `route_text` adds a route text (alone, when `route`
    is not given, as a route with only words).
    """
    found: dict[str, Any] = {"sequence": sequence, "text": "as directed"}
    if times_of_day:
        found["timing"] = {"repeat": {"timeOfDay": list(times_of_day)}}
    elif timing_code is not None:
        found["timing"] = {"code": {"coding": [coding(GTS_ABBREVIATION, timing_code)], "text": timing_code}}
    elif every is not None:
        found["timing"] = {"repeat": {"frequency": 1, "period": every[0], "periodUnit": every[1]}}
    elif per_day is not None:
        found["timing"] = {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}}
    if dose is not None:
        found["doseAndRate"] = [{"doseQuantity": _dose_quantity(dose, unit)}]
    if dose_range is not None:
        low, high = (_dose_quantity(v, unit) for v in dose_range)
        found["doseAndRate"] = [{"doseRange": {"low": low, "high": high}}]
    if as_needed:
        found["asNeededBoolean"] = True
    if route:
        found["route"] = concept("snomed", route[0], route[1], text=route_text)
    elif route_text:
        found["route"] = {"text": route_text}
    return found


def _dose_quantity(value: float, unit: str) -> dict[str, Any]:
    quantity: dict[str, Any] = {"value": value, "unit": unit}
    if unit == "TAB":
        quantity |= {"unit": "tablet", "system": ORDERABLE_DRUG_FORM, "code": "TAB"}
    elif unit.startswith("{") or unit in ("mg", "g", "ug", "mL"):
        quantity |= {"system": UCUM, "code": unit}
    return quantity


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
    repeats: int | None = None,
    dose: dict[str, Any] | None = None,
    id: str | None = None,
) -> Resource:
    """A MedicationRequest (intent order), optionally with a dispenseRequest: validity
    period, expected supply in days and the refills allowed (numberOfRepeatsAllowed)."""
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
        dispense["validityPeriod"] = {"start": _iso(authored_on)[:10], "end": _iso(validity_end)}
    if repeats is not None:
        dispense["numberOfRepeatsAllowed"] = repeats
    if supply_days is not None:
        dispense["expectedSupplyDuration"] = {"value": supply_days, "unit": "Day", "system": UCUM, "code": "d"}
    if dispense:
        found["dispenseRequest"] = dispense
    if dose is not None:
        found["dosageInstruction"] = [dose]
    return found


def medication_dispense(
    drug: dict[str, Any],
    handed_over: When | None,
    *,
    days_supply: int | None = None,
    status: str = "completed",
    prepared: When | None = None,
    dose: dict[str, Any] | None = None,
    id: str | None = None,
) -> Resource:
    """A MedicationDispense shaped like the US Core MedicationDispense example: a quantity of
    tablets, daysSupply in UCUM days, whenHandedOver with a time and offset."""
    found: Resource = {
        "resourceType": "MedicationDispense",
        "id": _id("md", id),
        "status": status,
        "medicationCodeableConcept": drug,
        "subject": SUBJECT,
        "type": concept("http://terminology.hl7.org/CodeSystem/v3-ActCode", "FF", "First Fill"),
        "quantity": {"value": 30, "system": ORDERABLE_DRUG_FORM, "code": "TAB"},
    }
    if days_supply is not None:
        found["daysSupply"] = {"value": days_supply, "unit": "days", "system": UCUM, "code": "d"}
    if prepared is not None:
        found["whenPrepared"] = f"{_iso(prepared)}T09:00:00-05:00" if isinstance(prepared, date) else prepared
    if handed_over is not None:
        found["whenHandedOver"] = f"{_iso(handed_over)}T16:00:00-05:00" if isinstance(handed_over, date) else handed_over
    if dose is not None:
        found["dosageInstruction"] = [dose]
    return found


def medication_resource(
    rxnorm: str | None = None,
    display: str | None = None,
    *,
    text: str | None = None,
    ingredients: tuple[dict[str, Any], ...] = (),
    form: tuple[str, str] | None = None,
    id: str | None = None,
) -> Resource:
    """A Medication: its code (RxNorm coding and/or text), ingredients and dose form (SNOMED)."""
    found: Resource = {"resourceType": "Medication", "id": _id("med", id), "code": medication(rxnorm, text, display)}
    if ingredients:
        found["ingredient"] = list(ingredients)
    if form is not None:
        found["form"] = concept("snomed", form[0], form[1], text=form[1])
    return found


def ingredient(
    item: dict[str, Any] | None = None,
    *,
    reference: str | None = None,
    mg: float | None = None,
    per: tuple[float, str, str | None] = (1, "tablet", None),
) -> dict[str, Any]:
    """A Medication.ingredient: an item (CodeableConcept, or a reference to a Substance or
    Medication) with a strength of `mg` mg per `per` = (value, unit, UCUM or form code)."""
    found: dict[str, Any] = {"itemCodeableConcept": item} if item is not None else {"itemReference": {"reference": reference}}
    found["isActive"] = True
    if mg is not None:
        value, unit, code = per
        denominator: dict[str, Any] = {"value": value, "unit": unit}
        if code == "TAB":
            denominator |= {"system": ORDERABLE_DRUG_FORM, "code": code}
        elif code is not None:
            denominator |= {"system": UCUM, "code": code}
        found["strength"] = {"numerator": {"value": mg, "unit": "mg", "system": UCUM, "code": "mg"}, "denominator": denominator}
    return found


def by_reference(record: Resource, reference: str, *, display: str | None = None, contained: Resource | None = None) -> Resource:
    """The record naming its drug by medicationReference instead of medicationCodeableConcept,
    optionally with the Medication contained in it (then `reference` is `#id`)."""
    found = {k: v for k, v in record.items() if k != "medicationCodeableConcept"}
    ref: dict[str, Any] = {"reference": reference}
    if display:
        ref["display"] = display
    found["medicationReference"] = ref
    if contained is not None:
        found["contained"] = [contained]
    return found


def medication_administration(
    drug: dict[str, Any],
    on: When,
    *,
    status: str = "completed",
    dose_mg: float | None = None,
    dose: tuple[float, str] | None = None,
    at: str = "08:00:00Z",
    id: str | None = None,
) -> Resource:
    """A MedicationAdministration given on one day (at a time of day): `dose_mg` mg, or
    `dose` = (value, unit) in another unit (tablets, mL)."""
    found: Resource = {
        "resourceType": "MedicationAdministration",
        "id": _id("ma", id),
        "status": status,
        "medicationCodeableConcept": drug,
        "subject": SUBJECT,
        "effectiveDateTime": f"{_iso(on)}T{at}" if isinstance(on, date) else on,
    }
    if dose_mg is not None:
        dose = (dose_mg, "mg")
    if dose is not None:
        found["dosage"] = {"dose": _dose_quantity(*dose)}
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
    type: str | None = "allergy",
    id: str | None = None,
) -> Resource:
    """An AllergyIntolerance to a medication substance (RxNorm coding and/or text);
    `type` allergy, intolerance, or None (absent)."""
    found: Resource = {
        "resourceType": "AllergyIntolerance",
        "id": _id("allergy", id),
        "category": ["medication"],
        "code": substance,
        "patient": SUBJECT,
        "recordedDate": _iso(recorded),
    }
    if type is not None:
        found["type"] = type
    if clinical_status:
        found["clinicalStatus"] = {"coding": [coding(ALLERGY_CLINICAL, clinical_status)]}
    if verification:
        found["verificationStatus"] = {"coding": [coding(ALLERGY_VERIFICATION, verification)]}
    return found


def bundle(*resources: Resource, type: str = "collection", with_patient: bool = True, uuid_full_urls: bool = False) -> Resource:
    """A Bundle of one patient's resources; a default Patient is added unless one is given.

    Entries carry absolute fullUrls on EHR_BASE, or `urn:uuid:<id>` (`uuid_full_urls`,
    as Synthea's transaction Bundles write them; the ids are then UUIDs).
    """
    items = list(resources)
    if with_patient and not any(r["resourceType"] == "Patient" for r in items):
        items.insert(0, patient())
    entries = []
    for r in items:
        full_url = f"urn:uuid:{r['id']}" if uuid_full_urls else f"{EHR_BASE}/{r['resourceType']}/{r['id']}"
        entry: dict[str, Any] = {"fullUrl": full_url, "resource": r}
        if type in ("transaction", "batch"):
            entry["request"] = {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}
        entries.append(entry)
    return {"resourceType": "Bundle", "type": type, "entry": entries}
