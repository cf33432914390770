"""Resources shaped the way real EHR FHIR R4 APIs send them, for the revised ground rules.

`fhir_builders.py` writes clean FHIR; these write the same facts as Epic, Oracle Health
(Cerner Millennium), US Core examples and Synthea send them: local codings beside (and
before) the standard ones, HL7 OIDs for code systems, status text beside status codings,
partial dates, onsetAge, components, units without codes, valueString results. Each
builder names the public example it imitates. `test_fhir_builders.py` validates their
output with the fhir.resources R4B models, so every fixture stays valid FHIR.
"""

from __future__ import annotations

import itertools
from typing import Any

from fhir_builders import (
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    CVX,
    INTERPRETATION,
    LOINC,
    OBSERVATION_CATEGORY,
    SNOMED,
    SUBJECT,
    UCUM,
    When,
)

Resource = dict[str, Any]

# HL7 OIDs of the code systems (criteria ground rules, "Code systems and codings").
OID_SNOMED = "urn:oid:2.16.840.1.113883.6.96"
OID_ICD10CM = "urn:oid:2.16.840.1.113883.6.90"
OID_LOINC = "urn:oid:2.16.840.1.113883.6.1"
OID_CVX = "urn:oid:2.16.840.1.113883.12.292"
OID_UCUM = "urn:oid:2.16.840.1.113883.6.8"
NDC = "http://hl7.org/fhir/sid/ndc"
# Epic identifies its own code lists by OIDs under its root 1.2.840.114350 (open.epic
# FHIR R4 samples); Oracle Health by codeSet URLs per tenant (Cerner code set 72 holds
# lab orderables, 400 problems).
EPIC_LOCAL_PROBLEM = "urn:oid:1.2.840.114350.1.13.0.1.7.2.696871"
EPIC_LOCAL_LAB = "urn:oid:1.2.840.114350.1.13.0.1.7.5.737384.19"
EPIC_LOCAL_IMMUNIZATION = "urn:oid:1.2.840.114350.1.13.0.1.7.2.768076"
CERNER_CODESET_72 = "https://fhir.cerner.com/ec2458f2-1e24-41c8-b71b-0e701af7583d/codeSet/72"
CERNER_CODESET_400 = "https://fhir.cerner.com/ec2458f2-1e24-41c8-b71b-0e701af7583d/codeSet/400"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACT_CODE_OID = "urn:oid:2.16.840.1.113883.5.4"
DIAGNOSIS_ROLE = "http://terminology.hl7.org/CodeSystem/diagnosis-role"

_ids = itertools.count(1)


def _id(prefix: str, given: str | None) -> str:
    return given or f"{prefix}-ehr-{next(_ids)}"


def _iso(when: When) -> str:
    return when if isinstance(when, str) else when.isoformat()


def status_concept(system: str, code: str | None, text: str | None = None, local_first: bool = False) -> dict[str, Any]:
    """A clinicalStatus/verificationStatus as Epic sends it: the HL7 coding with a display
    and the same word as `text`; `local_first` puts a site coding before it (as some
    Oracle Health tenants do); `code` None leaves only the text."""
    found: dict[str, Any] = {}
    codings = []
    if local_first:
        codings.append({"system": "urn:oid:1.2.840.114350.1.13.0.1.7.4.698084.10043", "code": "1", "display": "Local status"})
    if code is not None:
        codings.append({"system": system, "code": code, "display": code.replace("-", " ").title()})
    if codings:
        found["coding"] = codings
    if text is not None:
        found["text"] = text
    return found


def epic_problem(
    icd10: str,
    snomed: str | None = None,
    text: str = "Problem",
    *,
    clinical: str | None = "active",
    clinical_text: str | None = None,
    verification: str | None = "confirmed",
    onset: dict[str, Any] | None = None,
    abatement: dict[str, Any] | None = None,
    recorded: When | None = None,
    status_local_first: bool = False,
    id: str | None = None,
) -> Resource:
    """A problem-list Condition shaped like Epic's FHIR R4 Condition.Read (Problems) sample:
    an Epic local (IMO) coding first, ICD-10-CM under its HL7 OID, SNOMED CT, the
    statuses as coding plus text. `onset`/`abatement` are the onset[x]/abatement[x]
    elements as sent (e.g. {"onsetDateTime": "2019-05"}, {"onsetAge": {...}})."""
    codings: list[dict[str, Any]] = [{"system": EPIC_LOCAL_PROBLEM, "code": "1034567", "display": text}]
    codings.append({"system": OID_ICD10CM, "code": icd10, "display": text})
    if snomed:
        codings.append({"system": SNOMED, "code": snomed, "display": text})
    found: Resource = {
        "resourceType": "Condition",
        "id": _id("epic-problem", id),
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                        "code": "problem-list-item",
                        "display": "Problem List Item",
                    }
                ],
                "text": "Problem List Item",
            }
        ],
        "code": {"coding": codings, "text": text},
        "subject": {**SUBJECT, "display": "Test, Pat"},
    }
    if clinical is not None or clinical_text is not None:
        found["clinicalStatus"] = status_concept(
            CONDITION_CLINICAL, clinical, clinical_text if clinical_text is not None else (clinical or "").title() or None,
            local_first=status_local_first,
        )
    if verification is not None:
        found["verificationStatus"] = status_concept(
            CONDITION_VERIFICATION, verification, verification.title(), local_first=status_local_first
        )
    found.update(onset or {})
    found.update(abatement or {})
    if recorded is not None:
        found["recordedDate"] = _iso(recorded)
    return found


def cerner_condition(
    snomed: str,
    display: str,
    *,
    clinical: str | None = "active",
    onset: dict[str, Any] | None = None,
    recorded: When | None = None,
    verification: str | None = "confirmed",
    id: str | None = None,
) -> Resource:
    """A Condition shaped like Oracle Health (Cerner Millennium) R4 Condition examples: a
    Cerner code set 400 coding first, then SNOMED CT under its HL7 OID and ICD-10-CM."""
    found: Resource = {
        "resourceType": "Condition",
        "id": _id("cerner-condition", id),
        "code": {
            "coding": [
                {"system": CERNER_CODESET_400, "code": "7766235", "display": display, "userSelected": True},
                {"system": OID_SNOMED, "code": snomed, "display": display},
            ],
            "text": display,
        },
        "subject": SUBJECT,
    }
    if clinical is not None:
        found["clinicalStatus"] = status_concept(CONDITION_CLINICAL, clinical, clinical.title())
    if verification is not None:
        found["verificationStatus"] = status_concept(CONDITION_VERIFICATION, verification, verification.title())
    found.update(onset or {})
    if recorded is not None:
        found["recordedDate"] = _iso(recorded)
    return found


def age(value: float, unit: str = "a") -> dict[str, Any]:
    """A UCUM Age (onsetAge/abatementAge), as the FHIR R4 Condition example 'f201' writes it."""
    words = {"a": "years", "mo": "months", "wk": "weeks", "d": "days"}
    return {"value": value, "unit": words.get(unit, unit), "system": UCUM, "code": unit}


def lab(
    loinc: str,
    *,
    effective: dict[str, Any],
    value: dict[str, Any] | None = None,
    status: str = "final",
    local_first: bool = True,
    issued: str | None = "2026-11-24T16:05:00Z",
    components: list[dict[str, Any]] | None = None,
    interpretation: str | None = None,
    id: str | None = None,
) -> Resource:
    """A laboratory Observation shaped like Oracle Health's (Cerner) R4 lab results: a
    code set 72 coding first and LOINC after it (`local_first`), `issued` beside the
    effective[x] (`effective` as sent, e.g. {"effectiveDateTime": "2026-11"}), value[x]
    as sent (`value`, e.g. {"valueQuantity": {...}} or {"valueString": "<0.5"}), and
    optional components (each a dict with `code` and its value[x])."""
    codings = [{"system": LOINC, "code": loinc}]
    if local_first:
        codings.insert(0, {"system": CERNER_CODESET_72, "code": "2700655", "display": "Lab", "userSelected": True})
    found: Resource = {
        "resourceType": "Observation",
        "id": _id("lab", id),
        "status": status,
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "laboratory", "display": "Laboratory"}], "text": "Laboratory"}],
        "code": {"coding": codings, "text": "Lab"},
        "subject": SUBJECT,
        **effective,
    }
    if issued is not None:
        found["issued"] = issued
    found.update(value or {})
    if interpretation:
        found["interpretation"] = [{"coding": [{"system": INTERPRETATION, "code": interpretation}]}]
    if components is not None:
        found["component"] = components
    return found


def quantity(value: float, unit: str | None, code: str | None = None, system: str | None = UCUM) -> dict[str, Any]:
    """A valueQuantity as sent: `unit` text, and a `code` with its system only when given."""
    found: dict[str, Any] = {"value": value}
    if unit is not None:
        found["unit"] = unit
    if code is not None:
        found["code"] = code
        if system is not None:
            found["system"] = system
    return {"valueQuantity": found}


def component(loinc: str, value: dict[str, Any], system: str = LOINC) -> dict[str, Any]:
    """An Observation.component coded by LOINC (or `system`), with its value[x]."""
    return {"code": {"coding": [{"system": system, "code": loinc}]}, **value}


def epic_immunization(
    cvx: str | None,
    *,
    occurrence: dict[str, Any],
    status: str = "completed",
    cvx_system: str = CVX,
    ndc: str | None = "49281-0215-10",
    id: str | None = None,
) -> Resource:
    """An Immunization shaped like Epic's FHIR R4 Immunization.Read sample: the vaccine as
    an Epic local coding, then CVX, then NDC; `occurrence` is occurrenceDateTime or
    occurrenceString as sent (Epic sends historical doses with only a text date)."""
    codings: list[dict[str, Any]] = [{"system": EPIC_LOCAL_IMMUNIZATION, "code": "210", "display": "Vaccine"}]
    if cvx is not None:
        codings.append({"system": cvx_system, "code": cvx})
    if ndc is not None:
        codings.append({"system": NDC, "code": ndc})
    return {
        "resourceType": "Immunization",
        "id": _id("epic-imm", id),
        "status": status,
        "vaccineCode": {"coding": codings, "text": "Vaccine"},
        "patient": SUBJECT,
        **occurrence,
        "primarySource": True,
    }


def procedure_on(snomed: str, performed: dict[str, Any], *, id: str | None = None) -> Resource:
    """A completed Procedure as US Core's Procedure example writes it (SNOMED CT code),
    with performed[x] as sent (a partial performedDateTime, a performedPeriod...)."""
    return {
        "resourceType": "Procedure",
        "id": _id("proc", id),
        "status": "completed",
        "code": {"coding": [{"system": SNOMED, "code": snomed}]},
        "subject": SUBJECT,
        **performed,
    }


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
        "verificationStatus": {"coding": [{"system": CONDITION_VERIFICATION, "code": "confirmed"}]},
        "code": {"coding": [{"system": system, "code": code, "display": display}], "text": display},
        "subject": SUBJECT,
    }
    if clinical is not None:
        found["clinicalStatus"] = {"coding": [{"system": CONDITION_CLINICAL, "code": clinical}]}
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
            {"coding": [{"system": INTERPRETATION, "code": interpretation}]}
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
