"""Reading codings out of FHIR CodeableConcepts."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fhir_mappings.codes import (
    ALLERGY_CLINICAL,
    ALLERGY_VERIFICATION,
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    canonical_system,
)
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
# The HL7 code systems of resource statuses: a coding from one of them states the status;
# a local coding beside it changes nothing ("Records as EHRs send them").
STATUS_SYSTEMS = frozenset({CONDITION_CLINICAL, CONDITION_VERIFICATION, ALLERGY_CLINICAL, ALLERGY_VERIFICATION})
# Every code of those systems (FHIR R4 condition-clinical, condition-ver-status,
# allergyintolerance-clinical, allergyintolerance-verification): a coding without a
# system states a status only with one of these.
STATUS_CODES = frozenset(
    {"active", "recurrence", "relapse", "inactive", "remission", "resolved"}
    | {"unconfirmed", "provisional", "differential", "confirmed", "refuted", "entered-in-error"}
)


def status_code(concept: Any) -> str | None:
    """The status a clinicalStatus or verificationStatus CodeableConcept states.

    The code of a coding from the HL7 status code system decides, wherever it sits among
    the codings; with none, a coding without a system whose code is one of those
    systems' codes (as pre-R4 feeds send the bare code); local codings never decide.
    None when no coding states a status.

    :raise MalformedResourceError: the concept has the wrong JSON type.
    """
    codings = codings_of(concept)
    standard = next((c.code for c in codings if c.system in STATUS_SYSTEMS), None)
    if standard is not None:
        return standard
    return next((c.code for c in codings if not c.system and c.code in STATUS_CODES), None)


def verification_ignored(resource: dict[str, Any]) -> bool:
    """Whether the resource is refuted or entered in error, so no criterion may count it."""
    return status_code(resource.get("verificationStatus")) in IGNORED_VERIFICATION


def concept_text(concept: Any) -> str:
    """Human text of a CodeableConcept: its text, else the displays of its codings."""
    if concept is None:
        return ""
    text = element(concept, "text", str) if isinstance(concept, dict) else None
    if text and text.strip():
        return text.strip()
    return " / ".join(c.display for c in codings_of(concept) if c.display)

