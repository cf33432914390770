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
