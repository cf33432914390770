"""References in every form an EHR sends resolve to the same resource (ground rules,
"Records as EHRs send them": relative, absolute, versioned, urn:uuid, #contained)."""

from __future__ import annotations

import pytest

from fhir_mappings.record import PatientRecord
from fhir_mappings.references import reference_key

MEDICATION = {"resourceType": "Medication", "id": "med-1", "code": {"text": "Rituxan"}}
PATIENT = {"resourceType": "Patient", "id": "p1"}


@pytest.mark.parametrize(
    ("reference", "key"),
    [
        ("Medication/med-1", "Medication/med-1"),
        ("Medication/med-1/_history/3", "Medication/med-1"),
        ("https://ehr.example.org/fhir/Medication/med-1", "Medication/med-1"),
        ("https://ehr.example.org/fhir/Medication/med-1/_history/2", "Medication/med-1"),
        ("urn:uuid:7f0c2a9e-3d5b-4a8e-9c1f-2b6d8e4a0c11", "urn:uuid:7f0c2a9e-3d5b-4a8e-9c1f-2b6d8e4a0c11"),
        ("#med", None),
        ("", None),
        ("not a reference", None),
        (42, None),
    ],
)
def test_reference_key_reads_every_form(reference: object, key: str | None) -> None:
    assert reference_key(reference) == key


def test_a_record_resolves_relative_absolute_urn_and_contained_references() -> None:
    # Shaped like a Synthea transaction Bundle: fullUrls are urn:uuids.
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:0d5c1c61-0000-4000-8000-000000000001", "resource": PATIENT},
            {"fullUrl": "urn:uuid:0d5c1c61-0000-4000-8000-000000000002", "resource": MEDICATION},
        ],
    }
    record = PatientRecord.from_bundle(bundle)
    for reference in (
        "Medication/med-1",
        "https://ehr.example.org/fhir/Medication/med-1",
        "urn:uuid:0d5c1c61-0000-4000-8000-000000000002",
    ):
        assert record.resolve(reference) is MEDICATION
    container = {"resourceType": "MedicationRequest", "contained": [{"resourceType": "Medication", "id": "m"}]}
    assert record.resolve("#m", container) == {"resourceType": "Medication", "id": "m"}
    assert record.resolve("#other", container) is None
    assert record.resolve("Medication/unknown") is None
