"""AllergyIntolerance -> substances (ingredient names and text), whatever the clinical status.

The criteria read allergy *history*, so only refuted and entered-in-error records drop.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from fhir_mappings.coding import codings_of, concept_text, verification_ignored
from fhir_mappings.dates import calendar_date
from fhir_mappings.drugs import drug_catalog
from fhir_mappings.immutable import immutable
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


def _allergy(resource: dict[str, Any]) -> list[AllergyFact]:
    if verification_ignored(resource):
        return []
    reactions = element(resource, "reaction", list) or []
    concepts = [resource.get("code")] + [x.get("substance") for x in reactions]
    codings = [c for concept in concepts for c in codings_of(concept)]
    label = " / ".join(t for t in (concept_text(c) for c in concepts) if t)
    catalog = drug_catalog()
    return [
        AllergyFact(
            reference=reference_of(resource),
            code=codings[0].token if codings else f"text|{label}",
            label=label,
            ingredients=catalog.ingredients_by_codes(codings) or catalog.ingredients_by_name(label),
            words=tuple(catalog.normalize_name(label).replace("/", " ").split()),
            recorded=calendar_date(resource.get("recordedDate") or resource.get("onsetDateTime")),
        )
    ]


def extract_allergies(resources: Iterable[dict[str, Any]]) -> tuple[list[AllergyFact], list[Unreadable]]:
    """Allergies with the substances of `code` and of each reaction's `substance`."""
    return read_each(resources, _allergy)
