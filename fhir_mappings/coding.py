"""Reading codings out of FHIR CodeableConcepts."""

from __future__ import annotations

from typing import Any

from fhir_mappings.codes import canonical_system
from fhir_mappings.terminology import Coding


def codings_of(concept: Any) -> tuple[Coding, ...]:
    """Every coding of a CodeableConcept with a system and a code, systems canonicalized."""
    if not isinstance(concept, dict):
        return ()
    found = []
    codings = concept.get("coding")
    for item in codings if isinstance(codings, list) else []:
        if isinstance(item, dict) and isinstance(item.get("code"), str):
            system = item.get("system") if isinstance(item.get("system"), str) else None
            found.append(Coding(canonical_system(system), item["code"].strip(), str(item.get("display") or "")))
    return tuple(found)


def concept_text(concept: Any) -> str:
    """Human text of a CodeableConcept: its text, else the displays of its codings."""
    if not isinstance(concept, dict):
        return ""
    if isinstance(concept.get("text"), str) and concept["text"].strip():
        return concept["text"].strip()
    return " / ".join(c.display for c in codings_of(concept) if c.display)


def reference_of(resource: dict[str, Any]) -> str:
    """`Type/id` of a resource, as evidence names it."""
    return f"{resource.get('resourceType', '?')}/{resource.get('id', '?')}"
