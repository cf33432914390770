"""AllergyIntolerance -> substances (ingredient names and text), with the clinical status.

Only refuted and entered-in-error records drop here. The clinical status is kept: one
criterion reads allergy *history*, whatever the status, another a documented allergy or
intolerance (portfolio G14), for which inactive and resolved records do not count.
The substance (`code` and each reaction's `substance`) is identified as a medication is
(medication_identity.py): by RxNorm code, else by every display and text, so an allergy
coded with a brand name's RxNorm code the tables lack is still found by its name.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from fhir_mappings.coding import concept_text, verification_ignored
from fhir_mappings.conditions import clinical_status_of
from fhir_mappings.dates import calendar_date
from fhir_mappings.drugs import WORD, drug_catalog
from fhir_mappings.immutable import immutable
from fhir_mappings.medication_identity import identify
from fhir_mappings.readable import Unreadable, element, read_each, reference_of


@immutable
class AllergyFact:
    """One allergy record: the substances it names (ingredients, and the raw words)."""

    reference: str
    code: str
    label: str
    ingredients: tuple[str, ...]
    words: tuple[str, ...]
    recorded: date | None
    # allergyintolerance-clinical: active, inactive, resolved; None when absent (or only a local code).
    clinical_status: str | None = None


def _allergy(resource: dict[str, Any]) -> list[AllergyFact]:
    if verification_ignored(resource):
        return []
    reactions = element(resource, "reaction", list) or []
    concepts = [resource.get("code")] + [x.get("substance") for x in reactions]
    substance = identify(concepts)
    label = " / ".join(t for t in (concept_text(c) for c in concepts) if t)
    catalog = drug_catalog()
    return [
        AllergyFact(
            reference=reference_of(resource),
            code=substance.code or f"text|{label}",
            label=label,
            ingredients=substance.ingredients,
            # Words as names are matched (`\w+`): "Xolair (omalizumab)" holds "omalizumab", whose -mab stem counts.
            words=tuple(WORD.findall(catalog.normalize_name(" ".join(substance.names)))),
            recorded=calendar_date(resource.get("recordedDate") or resource.get("onsetDateTime")),
            clinical_status=clinical_status_of(resource.get("clinicalStatus")),
        )
    ]


def extract_allergies(resources: Iterable[dict[str, Any]]) -> tuple[list[AllergyFact], list[Unreadable]]:
    """Allergies with the substances of `code` and of each reaction's `substance`."""
    return read_each(resources, _allergy)
