"""Conditions -> condition facts: codes, clinical status and the dates that bound them.

Records whose verificationStatus is refuted or entered-in-error are dropped here,
once, so no criterion can count them (criteria ground rules).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from fhir_mappings.coding import Coding, codings_of, first_code, verification_ignored
from fhir_mappings.dates import calendar_date
from fhir_mappings.immutable import immutable
from fhir_mappings.readable import Unreadable, element, read_each, reference_of
from fhir_mappings.terminology import valuesets_of

ACTIVE_STATUSES = frozenset({"active", "recurrence", "relapse"})
# Condition.abatement[x] (FHIR R4), and STU3's abatementBoolean, which EHRs still send.
ABATEMENT_KEYS = frozenset(
    {"abatementDateTime", "abatementAge", "abatementPeriod", "abatementRange", "abatementString", "abatementBoolean"}
)


@immutable
class ConditionFact:
    """One Condition as the criteria read it; `valuesets` names the coded value sets its codes are in."""

    reference: str
    codings: tuple[Coding, ...]
    clinical_status: str | None
    onset: date | None
    recorded: date | None
    abatement: date | None
    abated: bool
    valuesets: frozenset[str]

    @property
    def active(self) -> bool:
        """Active, recurrence or relapse; or no clinicalStatus and no abatement."""
        if self.clinical_status is None:
            return not self.abated
        return self.clinical_status in ACTIVE_STATUSES

    @property
    def start(self) -> date | None:
        """When it began: onset, else the date it was recorded."""
        return self.onset or self.recorded


def _condition(resource: dict[str, Any]) -> list[ConditionFact]:
    """The Condition as a fact; none if it is refuted or entered in error."""
    if verification_ignored(resource):
        return []
    onset_period = element(resource, "onsetPeriod", dict) or {}
    abatement_period = element(resource, "abatementPeriod", dict) or {}
    abatement = calendar_date(resource.get("abatementDateTime")) or calendar_date(
        abatement_period.get("end") or abatement_period.get("start")
    )
    abated = not resource.keys().isdisjoint(ABATEMENT_KEYS)
    codings = codings_of(resource.get("code"))
    fact = ConditionFact(
        reference=reference_of(resource),
        codings=codings,
        clinical_status=first_code(resource.get("clinicalStatus")),
        onset=calendar_date(resource.get("onsetDateTime")) or calendar_date(onset_period.get("start")),
        recorded=calendar_date(resource.get("recordedDate")),
        abatement=abatement,
        abated=abated,
        valuesets=valuesets_of(codings),
    )
    return [fact]


def extract_conditions(resources: Iterable[dict[str, Any]]) -> tuple[list[ConditionFact], list[Unreadable]]:
    """Every Condition that is not refuted or entered in error, and those that cannot be read."""
    return read_each(resources, _condition)
