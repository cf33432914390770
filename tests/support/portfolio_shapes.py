"""Resources the portfolio criteria read, shaped the way EHRs and Synthea send them.

Each builder names the public example it imitates. `test_portfolio_shapes.py` validates
their output with the fhir.resources R4B models, so every fixture stays valid FHIR.
"""

from __future__ import annotations

import itertools
from typing import Any

from fhir_builders import LOINC, OBSERVATION_CATEGORY, SNOMED, SUBJECT, UCUM, When

Resource = dict[str, Any]
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACT_CODE_OID = "urn:oid:2.16.840.1.113883.5.4"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
DIAGNOSIS_ROLE = "http://terminology.hl7.org/CodeSystem/diagnosis-role"
CPT = "http://www.ama-assn.org/go/cpt"

_ids = itertools.count(1)


def _id(prefix: str, given: str | None) -> str:
    return given or f"{prefix}-pf-{next(_ids)}"


def _iso(when: When) -> str:
    return when if isinstance(when, str) else when.isoformat()


def synthea_encounter(
    start: When,
    end: When | None = None,
    *,
    klass: str = "IMP",
    type_code: tuple[str, str] = ("185347001", "Encounter for problem"),
    status: str = "finished",
    reasons: list[str] | None = None,
    reason_code: tuple[str, str, str] | None = None,
    class_system: str = ACT_CODE,
    id: str | None = None,
) -> Resource:
    """An Encounter as Synthea's FHIR R4 exporter writes it (the Inferno US Core patient 355
    sends this shape): class a v3 ActCode Coding, a SNOMED CT type, a period with a time
    and offset, `reasonReference` to Conditions (by the reference strings given, such as
    `urn:uuid:…`) and/or a `reasonCode`."""
    period: dict[str, str] = {"start": f"{_iso(start)}T22:11:18-05:00" if not isinstance(start, str) else start}
    if end is not None:
        period["end"] = f"{_iso(end)}T22:11:18-05:00" if not isinstance(end, str) else end
    found: Resource = {
        "resourceType": "Encounter",
        "id": _id("enc", id),
        "status": status,
        "class": {"system": class_system, "code": klass},
        "type": [{"coding": [{"system": SNOMED, "code": type_code[0], "display": type_code[1]}], "text": type_code[1]}],
        "subject": SUBJECT,
        "period": period,
    }
    if reasons:
        found["reasonReference"] = [{"reference": ref} for ref in reasons]
    if reason_code is not None:
        system, code, display = reason_code
        found["reasonCode"] = [{"coding": [{"system": system, "code": code, "display": display}]}]
    return found


def epic_hospital_encounter(
    start: When,
    end: When | None = None,
    *,
    diagnoses: list[str] | None = None,
    contained: list[Resource] | None = None,
    status: str = "finished",
    id: str | None = None,
) -> Resource:
    """A hospital Encounter shaped like Epic's FHIR R4 Encounter.Read (Hospital Encounter)
    sample: class IMP under the v3 ActCode OID, an admission type (183452005 Emergency
    hospital admission) beside a local type, and `diagnosis[].condition` references
    (absolute URLs, or `#id` to a contained Condition) with a diagnosis-role use."""
    found: Resource = {
        "resourceType": "Encounter",
        "id": _id("epic-enc", id),
        "status": status,
        "class": {"system": ACT_CODE_OID, "code": "IMP", "display": "Inpatient"},
        "type": [
            {"coding": [{"system": "urn:oid:1.2.840.114350.1.13.0.1.7.10.698084.30", "code": "3", "display": "Hospital Encounter"}]},
            {"coding": [{"system": SNOMED, "code": "183452005", "display": "Emergency hospital admission"}]},
        ],
        "subject": SUBJECT,
        "period": {"start": f"{_iso(start)}T14:00:00Z"},
    }
    if end is not None:
        found["period"]["end"] = f"{_iso(end)}T10:00:00Z"
    if diagnoses:
        found["diagnosis"] = [
            {"condition": {"reference": ref}, "use": {"coding": [{"system": DIAGNOSIS_ROLE, "code": "AD", "display": "Admission diagnosis"}]}}
            for ref in diagnoses
        ]
    if contained:
        found["contained"] = contained
    return found


def diagnosis(
    system: str,
    code: str,
    display: str,
    *,
    onset: When | None = None,
    clinical: str | None = "active",
    encounter: str | None = None,
    id: str | None = None,
) -> Resource:
    """An encounter-diagnosis Condition as Synthea writes it (FHIR R4 exporter): SNOMED CT
    or ICD-10-CM code, condition-clinical and condition-ver-status codings, onsetDateTime,
    and `encounter` pointing to the Encounter it was recorded in (as sent, e.g. `urn:uuid:…`)."""
    found: Resource = {
        "resourceType": "Condition",
        "id": _id("dx", id),
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "encounter-diagnosis"}]}],
        "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
        "code": {"coding": [{"system": system, "code": code, "display": display}], "text": display},
        "subject": SUBJECT,
    }
    if clinical is not None:
        found["clinicalStatus"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": clinical}]}
    if onset is not None:
        found["onsetDateTime"] = f"{_iso(onset)}T22:11:18-05:00" if not isinstance(onset, str) else onset
    if encounter is not None:
        found["encounter"] = {"reference": encounter}
    return found


def lab_value(
    loinc: str,
    value: dict[str, Any],
    *,
    effective: dict[str, Any],
    interpretation: str | None = None,
    id: str | None = None,
) -> Resource:
    """A laboratory Observation as US Core's Observation Lab examples write it, with value[x]
    and effective[x] as sent (`value` e.g. {"valueRatio": …}; `effective` e.g.
    {"effectivePeriod": {"start": …, "end": …}} for a 24-hour urine collection)."""
    found: Resource = {
        "resourceType": "Observation",
        "id": _id("lab", id),
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "laboratory"}]}],
        "code": {"coding": [{"system": LOINC, "code": loinc}]},
        "subject": SUBJECT,
        **effective,
        **value,
    }
    if interpretation is not None:
        found["interpretation"] = [
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": interpretation}]}
        ]
    return found


def ucum(value: float | str, code: str) -> dict[str, Any]:
    """A valueQuantity with its UCUM code."""
    return {"valueQuantity": {"value": value, "unit": code, "system": UCUM, "code": code}}


def titer_ratio(denominator: int) -> dict[str, Any]:
    """A titer as valueRatio 1/n (Mayo's ANA titer result shape)."""
    return {"valueRatio": {"numerator": {"value": 1}, "denominator": {"value": denominator}}}


def collection(start: str, end: str) -> dict[str, Any]:
    """effectivePeriod of a timed (24-hour) urine collection."""
    return {"effectivePeriod": {"start": start, "end": end}}


def at(when: str) -> dict[str, Any]:
    """effectiveDateTime as written."""
    return {"effectiveDateTime": when}


def procedure_period(system: str, code: str, start: When, end: When | None, *, id: str | None = None) -> Resource:
    """A completed Procedure performed over a period, as US Core's Procedure example writes
    performedPeriod (a dialysis course, a hospital stay's biopsy)."""
    period: dict[str, str] = {"start": _iso(start)}
    if end is not None:
        period["end"] = _iso(end)
    return {
        "resourceType": "Procedure",
        "id": _id("proc", id),
        "status": "completed",
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": SUBJECT,
        "performedPeriod": period,
    }
