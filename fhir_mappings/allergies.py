"""AllergyIntolerance -> substances (ingredient names and text), whatever the clinical status.

The criteria read allergy *history*, so only refuted and entered-in-error records drop.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from fhir_mappings.coding import codings_of, concept_text, reference_of
from fhir_mappings.dates import calendar_date
from fhir_mappings.drugs import drug_catalog

IGNORED_VERIFICATION = frozenset({"refuted", "entered-in-error"})


@dataclass(frozen=True)
class AllergyFact:
    """One allergy record: the substances it names (ingredients, and the raw words)."""

    reference: str
    code: str
    label: str
    ingredients: tuple[str, ...]
    words: tuple[str, ...]
    recorded: date | None


def extract_allergies(resources: Iterable[dict[str, Any]]) -> list[AllergyFact]:
    """Allergies with the substances of `code` and of each reaction's `substance`."""
    catalog = drug_catalog()
    facts = []
    for r in resources:
        status = codings_of(r.get("verificationStatus"))
        if status and status[0].code in IGNORED_VERIFICATION:
            continue
        reactions = r.get("reaction") if isinstance(r.get("reaction"), list) else []
        concepts = [r.get("code")] + [x.get("substance") for x in reactions if isinstance(x, dict)]
        codings = [c for concept in concepts for c in codings_of(concept)]
        label = " / ".join(t for t in (concept_text(c) for c in concepts) if t)
        ingredients = catalog.ingredients_by_codes(codings) or catalog.ingredients_by_name(label)
        words = tuple(catalog.normalize_name(label).replace("/", " ").split())
        facts.append(
            AllergyFact(
                reference=reference_of(r),
                code=codings[0].token if codings else f"text|{label}",
                label=label,
                ingredients=ingredients,
                words=words,
                recorded=calendar_date(r.get("recordedDate") or r.get("onsetDateTime")),
            )
        )
    return facts
