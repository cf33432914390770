"""The FHIR pieces every exported resource shares: the trial's identifier, its link, and a
part's definition as a type and a value."""

from __future__ import annotations

from typing import Any

from cds.export.parts import AGE, Part
from cds.trials.schema import Trial

# The identifier system of ClinicalTrials.gov NCT numbers, as HL7 Terminology's NamingSystem
# "ClinicalTrials-Gov" registers it (terminology.hl7.org/NamingSystem-ClinicalTrials-Gov.html;
# its older CodeSystem-style entry "ClinicalTrialsGov" is retired in its favour).
CLINICALTRIALS_GOV = "https://clinicaltrials.gov"
# The code system of FHIR resource type names: R4's and R5's canonical URLs differ.
RESOURCE_TYPES_R4 = "http://hl7.org/fhir/resource-types"
RESOURCE_TYPES_R5 = "http://hl7.org/fhir/fhir-types"


def nct_identifier(trial: Trial) -> dict[str, str]:
    """The trial's NCT number as an official identifier."""
    return {"use": "official", "system": CLINICALTRIALS_GOV, "value": trial.nct_id}


def record_types(part: Part, system: str) -> dict[str, Any]:
    """The FHIR resource types a part reads, as a CodeableConcept of type names."""
    return {"coding": [{"system": system, "code": t, "display": t} for t in part.record_types], "text": part.description}


def typed_value(part: Part, types_system: str) -> tuple[dict[str, Any], str, Any] | None:
    """(type, value[x] name, value) when a part has a value FHIR can hold: an age range, a
    threshold on what is measured, or the codes that count; else None."""
    if part.age is not None:
        return AGE, "valueRange", part.age
    kind = (
        {"coding": part.measured.codings, "text": part.description}
        if part.measured.codings else record_types(part, types_system)
    )
    if part.quantity is not None:
        return kind, "valueQuantity", part.quantity
    if part.counted.codings:
        return kind, "valueCodeableConcept", {"coding": part.counted.codings, "text": part.description}
    return None
