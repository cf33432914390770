"""Reading codings out of FHIR CodeableConcepts."""

from __future__ import annotations

from typing import Any

from fhir_mappings.codes import canonical_system
from fhir_mappings.readable import MalformedResourceError, element
from fhir_mappings.terminology import Coding


def codings_of(concept: Any) -> tuple[Coding, ...]:
    """Every coding of a CodeableConcept that has a code, systems canonicalized.

    :raise MalformedResourceError: the concept, its `coding` list or a coding has the wrong JSON type.
    """
    if concept is None:
        return ()
    if not isinstance(concept, dict):
        raise MalformedResourceError("a CodeableConcept is not a JSON object")
    found = []
    for item in element(concept, "coding", list) or ():
        if not isinstance(item, dict):
            raise MalformedResourceError("a Coding is not a JSON object")
        code = element(item, "code", str)
        if code is not None:
            system = element(item, "system", str)
            found.append(Coding(canonical_system(system), code.strip(), str(element(item, "display", str) or "")))
    return tuple(found)


def concept_text(concept: Any) -> str:
    """Human text of a CodeableConcept: its text, else the displays of its codings."""
    if concept is None:
        return ""
    text = element(concept, "text", str) if isinstance(concept, dict) else None
    if text and text.strip():
        return text.strip()
    return " / ".join(c.display for c in codings_of(concept) if c.display)

