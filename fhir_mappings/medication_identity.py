"""Which drug a medication record or an allergy names: its ingredients, by code, else by name.

Ground rule "Drug identity" (the criteria ground rules, revision of 2026-12), in order:
1. any RxNorm coding of any term type, mapped to its ingredient(s) by the catalog;
2. else the names: each coding's display, each CodeableConcept's text, and for a
   `medicationReference` the Medication's code and its ingredients
   (`itemCodeableConcept`, or the Substance or Medication an `itemReference` names).
An RxNorm code the tables lack never stops the name match. A `medicationReference` in
any form (relative, absolute, versioned, `urn:uuid:`, `#contained`) is followed through
the record. A drug neither path identifies has no ingredients: it matches no drug
criterion, and the evaluation lists it as unidentified.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from fhir_mappings.codes import RXNORM
from fhir_mappings.coding import codings_of, concept_text
from fhir_mappings.drugs import drug_catalog
from fhir_mappings.immutable import immutable
from fhir_mappings.medication_doses import Strength, name_strength, ratio_strength
from fhir_mappings.readable import element
from fhir_mappings.terminology import Coding

Resource = dict[str, Any]
# PatientRecord.resolve: a reference string and the resource it sits in -> the resource named.
Resolve = Callable[[Any, Resource | None], Resource | None]


@immutable
class DrugIdentity:
    """What a record's drug is: its ingredients (empty when unidentified), every coding and
    name seen, a label for people, and, for a referenced Medication, its dose form and
    the strength of each ingredient it states."""

    ingredients: tuple[str, ...]
    codings: tuple[Coding, ...]
    names: tuple[str, ...]
    label: str
    form: str = ""
    stated_strengths: tuple[tuple[str, Strength], ...] = ()

    @property
    def code(self) -> str | None:
        """`system|code` of the first RxNorm coding, else of the first coding."""
        chosen = next((c for c in self.codings if c.system == RXNORM), self.codings[0] if self.codings else None)
        return chosen.token if chosen is not None else None

    def route_names(self) -> tuple[str, ...]:
        """The names whose dose-form words may give the route class (G3: "the dose-form
        words of the RxNorm name"): the record's names, and the RxNorm name of each RxNorm
        code it sends without a display (1734919 alone is "cyclophosphamide 1000 MG
        Injection"). A display the record sends is its own name and is not second-guessed."""
        names = drug_catalog().rxnorm_names
        unsent = (names.get(c.code) for c in self.codings if c.system == RXNORM and not c.display)
        return tuple(dict.fromkeys([*self.names, *filter(None, unsent)]))

    def strength_of(self, ingredient: str) -> Strength | None:
        """The ingredient's strength: stated by the Medication, else written in an RxNorm
        name (RxNorm displays first, then the other names)."""
        for name, strength in self.stated_strengths:
            if name == ingredient:
                return strength
        rxnorm_names = [c.display for c in self.codings if c.system == RXNORM and c.display]
        single = len(self.ingredients) == 1
        for name in dict.fromkeys([*rxnorm_names, *self.names]):
            found = name_strength(name, ingredient, single)
            if found is not None:
                return found
        return None


def _names(concepts: Iterable[Any]) -> list[str]:
    """Each concept's text and each coding's display, in order, once each."""
    names: dict[str, None] = {}
    for concept in concepts:
        text = element(concept, "text", str) if isinstance(concept, dict) else None
        for name in (text, *(c.display for c in codings_of(concept))):
            if name and name.strip():
                names.setdefault(name.strip(), None)
    return list(names)


def identify(concepts: Sequence[Any], extra_names: Sequence[str] = ()) -> DrugIdentity:
    """Ingredients of the drug the concepts name: by code, else by every name."""
    catalog = drug_catalog()
    codings = tuple(c for concept in concepts for c in codings_of(concept))
    names = tuple(dict.fromkeys([*_names(concepts), *(n.strip() for n in extra_names if n.strip())]))
    ingredients = catalog.ingredients_by_codes(codings)
    if not ingredients:
        ingredients = tuple(dict.fromkeys(i for name in names for i in catalog.ingredients_by_name(name)))
    label = next(filter(None, map(concept_text, concepts)), names[0] if names else "")
    return DrugIdentity(ingredients, codings, names, label)


def _item_concept(item: Resource, medication: Resource, container: Resource, resolve: Resolve) -> Any:
    """An ingredient's CodeableConcept, or the code of the Substance/Medication it references."""
    if item.get("itemCodeableConcept") is not None:
        return item["itemCodeableConcept"]
    reference = (element(item, "itemReference", dict) or {}).get("reference")
    target = resolve(reference, medication) or resolve(reference, container)
    return target.get("code") if isinstance(target, dict) else None


def _medication_identity(medication: Resource, container: Resource, resolve: Resolve, extra_names: Sequence[str]) -> DrugIdentity:
    """A Medication's code and ingredients, with the strengths its ingredients state."""
    items = [i for i in element(medication, "ingredient", list) or [] if isinstance(i, dict)]
    item_concepts = [_item_concept(i, medication, container, resolve) for i in items]
    found = identify([medication.get("code"), *item_concepts], extra_names)
    strengths: list[tuple[str, Strength]] = []
    for item, concept in zip(items, item_concepts):
        strength = ratio_strength(item.get("strength"))
        if strength is None:
            continue
        named = identify([concept]).ingredients if concept is not None else ()
        if len(named) == 1:
            strengths.append((named[0], strength))
        elif len(items) == 1 and len(found.ingredients) == 1:
            strengths.append((found.ingredients[0], strength))
    form = concept_text(medication.get("form"))
    return DrugIdentity(found.ingredients, found.codings, found.names, found.label, form, tuple(strengths))


def record_drug(resource: Resource, resolve: Resolve) -> DrugIdentity:
    """The drug of a medication record: medicationCodeableConcept, or the Medication its
    medicationReference names (contained or in the record); the reference's display is
    one more name."""
    concept = element(resource, "medicationCodeableConcept", dict)
    if concept is not None:
        return identify([concept])
    reference = element(resource, "medicationReference", dict) or {}
    display = element(reference, "display", str)
    extra = [display] if display else []
    medication = resolve(reference.get("reference"), resource)
    if isinstance(medication, dict) and medication.get("resourceType") == "Medication":
        return _medication_identity(medication, resource, resolve, extra)
    return identify([], extra)
