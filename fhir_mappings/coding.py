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
    codings = concept.get("coding")
    if codings is None:
        return ()
    if not isinstance(codings, list):
        raise MalformedResourceError("coding is not a list")
    found = []
    for item in codings:
        if not isinstance(item, dict):
            raise MalformedResourceError("a Coding is not a JSON object")
        key = (item.get("system"), item.get("code"), item.get("display"))
        try:
            coding = _SEEN.get(key)
        except TypeError:  # an element that is a list or an object: `_new_coding` says which
            coding = None
        if coding is None:
            coding = _new_coding(*key)
            if coding is None:
                continue
        found.append(coding)
    return tuple(found)


# Each distinct (system, code, display) as sent -> its Coding. A record repeats a few
# codings hundreds of times (every result of one test, every renewal of one drug), so
# most codings are one lookup: only a coding not seen before has its JSON types checked
# and a Coding built. This is the innermost loop of fact extraction (docs/performance.md).
_SEEN: dict[tuple[Any, Any, Any], Coding] = {}
_SEEN_LIMIT = 8192


def _new_coding(system: Any, code: Any, display: Any) -> Coding | None:
    """The Coding for elements not seen before; None when it has no code.

    :raise MalformedResourceError: an element is not a string.
    """
    if not isinstance(code, str):
        if code is None:
            return None
        raise MalformedResourceError("Coding.code is not a string")
    if not (system is None or isinstance(system, str)) or not (display is None or isinstance(display, str)):
        raise MalformedResourceError("Coding.system or Coding.display is not a string")
    if len(_SEEN) >= _SEEN_LIMIT:
        _SEEN.clear()
    coding = _SEEN[(system, code, display)] = Coding(canonical_system(system), code.strip(), display or "")
    return coding


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

