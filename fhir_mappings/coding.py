"""Reading codings out of FHIR CodeableConcepts."""

from __future__ import annotations

from functools import lru_cache
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
    codings = concept.get("coding")
    if codings is None:
        return ()
    if not isinstance(codings, list):
        raise MalformedResourceError("coding is not a list")
    found = []
    for item in codings:
        if not isinstance(item, dict):
            raise MalformedResourceError("a Coding is not a JSON object")
        elements = (item.get("system"), item.get("code"), item.get("display"))
        try:
            coding = _coding(*elements)
        except TypeError:  # an element that is a list or an object cannot be remembered
            coding = _coding.__wrapped__(*elements)
        if coding is not None:
            found.append(coding)
    return tuple(found)


@lru_cache(maxsize=8192)
def _coding(system: Any, code: Any, display: Any) -> Coding | None:
    """The Coding of one coding's elements as sent; None when it has no code.

    Remembered per distinct (system, code, display): a record repeats a few codings
    hundreds of times (every result of one test, every renewal of one drug), so most
    codings are one lookup, and only one not seen before has its JSON types checked. This
    is the innermost loop of fact extraction (docs/performance.md).

    :raise MalformedResourceError: an element is not a string.
    """
    if not isinstance(code, str):
        if code is None:
            return None
        raise MalformedResourceError("Coding.code is not a string")
    if not (system is None or isinstance(system, str)) or not (display is None or isinstance(display, str)):
        raise MalformedResourceError("Coding.system or Coding.display is not a string")
    return Coding(canonical_system(system), code.strip(), display or "")


# verificationStatus codes that mean the record must not count (criteria ground rules).
IGNORED_VERIFICATION = frozenset({"refuted", "entered-in-error"})


def first_code(concept: Any) -> str | None:
    """The code of a CodeableConcept's first coding (a status such as clinicalStatus)."""
    codes = codings_of(concept)
    return codes[0].code if codes else None


def verification_ignored(resource: dict[str, Any]) -> bool:
    """Whether the resource is refuted or entered in error, so no criterion may count it."""
    return first_code(resource.get("verificationStatus")) in IGNORED_VERIFICATION


def concept_text(concept: Any) -> str:
    """Human text of a CodeableConcept: its text, else the displays of its codings."""
    if concept is None:
        return ""
    text = element(concept, "text", str) if isinstance(concept, dict) else None
    if text and text.strip():
        return text.strip()
    return " / ".join(c.display for c in codings_of(concept) if c.display)

