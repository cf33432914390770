"""Small populations built with tests/support/fhir_builders.py, one patient id per person.

The builders write one patient's resources (subject `Patient/p1`); `of_patient` gives them
to another patient, as an EHR's export holds many. Medications come as a Bulk export has
them: a Medication resource (shaped like the FHIR R4 Medication example "med0301") named by
a MedicationRequest's `medicationReference`.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from fhir_builders import (
    AS_OF,
    SNOMED,
    coding,
    condition,
    days_before,
    immunization,
    medication,
    medication_request,
    observation,
    patient,
)

Resource = dict[str, Any]
SLE = ("snomed", "55464009", "Systemic lupus erythematosus")
HYDROXYCHLOROQUINE = ("979092", "Hydroxychloroquine Sulfate 200 MG Oral Tablet")
MMR = "03"  # a live vaccine (CVX 03)


def of_patient(resource: Resource, patient_id: str, reference: str | None = None) -> Resource:
    """A copy of a builder resource that belongs to `patient_id` (id prefixed with it)."""
    found = copy.deepcopy(resource)
    if found["resourceType"] == "Patient":
        found["id"] = patient_id
        return found
    found["id"] = f"{patient_id}-{found['id']}"
    element = "patient" if "patient" in found else "subject"
    found[element] = {"reference": reference or f"Patient/{patient_id}"}
    return found


def referring_as(resource: Resource, reference: str) -> Resource:
    """A copy of a patient's resource whose patient reference is written as `reference`."""
    found = copy.deepcopy(resource)
    found["patient" if "patient" in found else "subject"] = {"reference": reference}
    return found


def medication_resource(medication_id: str, rxnorm: str, display: str) -> Resource:
    """A Medication resource coded with RxNorm."""
    return {"resourceType": "Medication", "id": medication_id, "code": {"coding": [coding("rxnorm", rxnorm, display)], "text": display}}


def request_by_reference(patient_id: str, reference: str, started_days_ago: int = 400) -> Resource:
    """A standing MedicationRequest that names its drug through `medicationReference`."""
    request = of_patient(medication_request(medication(*HYDROXYCHLOROQUINE), days_before(started_days_ago), id="hcq"), patient_id)
    del request["medicationCodeableConcept"]
    request["medicationReference"] = {"reference": reference}
    return request


def lupus_patient(patient_id: str, *, live_vaccine_days_ago: int | None = None) -> list[Resource]:
    """An adult with SLE on hydroxychloroquine for a year and a positive ANA: a candidate,
    unless a live vaccine given `live_vaccine_days_ago` days ago holds her back (E8 washout)."""
    resources = [
        patient("1985-06-15", "female", id=patient_id),
        of_patient(condition(*SLE, onset="2019-11-19", id="sle"), patient_id),
        of_patient(medication_request(medication(*HYDROXYCHLOROQUINE), days_before(365), id="hcq"), patient_id),
        of_patient(observation("8061-4", value_code=(SNOMED, "10828004", "Positive"), on=days_before(20), id="ana"), patient_id),
        of_patient(observation("718-7", 13.1, "g/dL", on=days_before(20), id="hgb"), patient_id),
        of_patient(observation("8867-4", 72, "/min", on=days_before(20), id="pulse", category="vital-signs"), patient_id),
    ]
    if live_vaccine_days_ago is not None:
        resources.append(of_patient(immunization(MMR, AS_OF - timedelta(days=live_vaccine_days_ago), id="mmr"), patient_id))
    return resources


def healthy_patient(patient_id: str) -> list[Resource]:
    """An adult without lupus: a pulse and a hemoglobin on record."""
    return [
        patient("1979-02-01", "male", id=patient_id),
        of_patient(observation("718-7", 14.6, "g/dL", on=days_before(100), id="hgb"), patient_id),
        of_patient(observation("8867-4", 64, "/min", on=days_before(100), id="pulse", category="vital-signs"), patient_id),
    ]
