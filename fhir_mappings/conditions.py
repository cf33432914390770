"""Conditions -> condition facts: codes, statuses and the dates that bound them.

Records whose verificationStatus is refuted or entered-in-error are dropped here,
once, so no criterion can count them (criteria ground rules). The rest follows
"Condition onset and status" of the revision of 2026-12: onset is onsetDateTime, else
onsetPeriod.start, else onsetAge (a period of life counted from the birthDate), else
recordedDate (onsetString is not a date); abatement likewise; a clinicalStatus with no
standard coding is read from its text when that text is one of its codes.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from fhir_mappings.coding import Coding, codings_of, status_code, verification_ignored
from fhir_mappings.dates import Span, date_span, period_of_life
from fhir_mappings.immutable import immutable
from fhir_mappings.readable import Unreadable, element, read_each, reference_of
from fhir_mappings.references import reference_key
from fhir_mappings.references import reference_of as target_of
from fhir_mappings.terminology import valuesets_of
from fhir_mappings.units import time_unit

ACTIVE_STATUSES = frozenset({"active", "recurrence", "relapse"})
# The condition-clinical codes (FHIR R4), which a clinicalStatus `text` may also spell.
CLINICAL_STATUSES = ACTIVE_STATUSES | {"inactive", "remission", "resolved"}
# verificationStatus codes of a diagnosis that is not (yet) confirmed.
UNCONFIRMED_STATUSES = frozenset({"unconfirmed", "provisional", "differential"})
# Condition.abatement[x] (FHIR R4), and STU3's abatementBoolean, which EHRs still send.
ABATEMENT_KEYS = frozenset(
    {"abatementDateTime", "abatementAge", "abatementPeriod", "abatementRange", "abatementString", "abatementBoolean"}
)


@immutable
class ConditionFact:
    """One Condition as the criteria read it; `valuesets` names the coded value sets its codes are in.

    Dates are spans: a partial date stands for every day of its period, an onsetAge for
    a period of life.
    """

    reference: str
    codings: tuple[Coding, ...]
    clinical_status: str | None
    verification: str | None
    onset: Span | None
    recorded: Span | None
    abatement: Span | None
    abated: bool
    valuesets: frozenset[str]
    # The key (`Encounter/id`, or a fullUrl's) of the Encounter it was recorded in, if any.
    encounter: str | None = None

    @property
    def active(self) -> bool:
        """Active, recurrence or relapse; or no clinicalStatus and no abatement."""
        if self.clinical_status is None:
            return not self.abated
        return self.clinical_status in ACTIVE_STATUSES

    @property
    def confirmed(self) -> bool:
        """False for an unconfirmed, provisional or differential diagnosis."""
        return self.verification not in UNCONFIRMED_STATUSES

    @property
    def start(self) -> Span | None:
        """When it began: onset, else the date it was recorded."""
        return self.onset or self.recorded


def clinical_status_of(concept: Any) -> str | None:
    """The clinicalStatus code: from its HL7 coding, else from a `text` that is one of the
    codes in any case ("Active", "RESOLVED"); any other text counts as no status."""
    code = status_code(concept)
    if code is not None or not isinstance(concept, dict):
        return code
    text = element(concept, "text", str)
    word = text.strip().lower() if text else ""
    return word if word in CLINICAL_STATUSES else None


def _age(value: Any, birth: Span | None) -> Span | None:
    """The period of life an Age element stands for, from the birthDate; None when it
    cannot be placed (no birthDate, no number, a unit that is not years, months, weeks or days)."""
    if not isinstance(value, dict) or birth is None:
        return None
    number = value.get("value")
    if isinstance(number, bool) or not isinstance(number, (int, float, str)):
        return None
    try:
        count = int(Decimal(str(number)))  # a fractional age lies in the whole unit it started
    except (InvalidOperation, ValueError, OverflowError):
        return None
    unit = time_unit(value.get("code"), value.get("unit"))
    return period_of_life(birth, count, unit) if unit is not None else None


def _onset(resource: dict[str, Any], birth: Span | None) -> Span | None:
    period = element(resource, "onsetPeriod", dict) or {}
    return (
        date_span(resource.get("onsetDateTime"))
        or date_span(period.get("start"))
        or _age(resource.get("onsetAge"), birth)
    )


def _abatement(resource: dict[str, Any], birth: Span | None) -> Span | None:
    period = element(resource, "abatementPeriod", dict) or {}
    return (
        date_span(resource.get("abatementDateTime"))
        or date_span(period.get("end") or period.get("start"))
        or _age(resource.get("abatementAge"), birth)
    )


def _condition(resource: dict[str, Any], birth: Span | None) -> list[ConditionFact]:
    """The Condition as a fact; none if it is refuted or entered in error."""
    if verification_ignored(resource):
        return []
    codings = codings_of(resource.get("code"))
    fact = ConditionFact(
        reference=reference_of(resource),
        codings=codings,
        clinical_status=clinical_status_of(resource.get("clinicalStatus")),
        verification=status_code(resource.get("verificationStatus")),
        onset=_onset(resource, birth),
        recorded=date_span(resource.get("recordedDate")),
        abatement=_abatement(resource, birth),
        abated=not resource.keys().isdisjoint(ABATEMENT_KEYS),
        valuesets=valuesets_of(codings),
        encounter=reference_key(target_of(element(resource, "encounter", dict))),
    )
    return [fact]


def extract_conditions(
    resources: Iterable[dict[str, Any]], birth: Span | None = None
) -> tuple[list[ConditionFact], list[Unreadable]]:
    """Every Condition that is not refuted or entered in error, and those that cannot be read.

    `birth` is the patient's birthDate, which places an onsetAge or abatementAge in time.
    """
    return read_each(resources, lambda resource: _condition(resource, birth))
