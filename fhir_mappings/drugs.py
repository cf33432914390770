"""The offline drug catalog: RxNorm ingredients, product -> ingredient table, name fallback.

RxNorm product codes (SCD, SBD, PIN) map to ingredients through rxnorm_products.yaml;
codes the table lacks fall back to the drug's name: lower-cased (Synthea writes
Tall-Man "predniSONE"), salts stripped, biosimilar suffixes ("infliximab-dyyb") mapped
to the base ingredient, then matched as whole words, longest name first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, cached_property
from typing import TypeVar

from fhir_mappings.codes import ATC, RXNORM
from fhir_mappings.coding import Coding
from fhir_mappings.terminology import read_yaml

T = TypeVar("T")
BIOSIMILAR_SUFFIX = re.compile(r"\b([a-z]+)-[a-z]{4}\b")
# Distinct labels or ingredients remembered (`_remembered`); bounds a long-running worker's memory.
NAME_CACHE_SIZE = 4096


@dataclass(frozen=True)
class DrugCatalog:
    """Everything needed to turn a medication coding or name into ingredient names."""

    ingredient_by_code: dict[tuple[str, str], str]
    ingredients_by_product: dict[str, tuple[str, ...]]
    name_patterns: tuple[tuple[re.Pattern[str], str], ...]
    salt_pattern: re.Pattern[str] | None
    groups: dict[str, frozenset[str]]
    group_name_suffixes: dict[str, tuple[str, ...]]
    prednisone_factor: dict[str, Decimal]
    non_systemic_forms: tuple[str, ...]
    # Answers remembered per distinct label or ingredient: renewals repeat one label
    # hundreds of times in a long record, and every criterion asks about every exposure.
    _names_seen: dict[str, tuple[str, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _groups_seen: dict[str, frozenset[str]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _non_systemic_seen: dict[str, bool] = field(default_factory=dict, init=False, repr=False, compare=False)

    def normalize_name(self, text: str) -> str:
        """Lower-case, map biosimilar names to the base name, drop salt words."""
        lowered = BIOSIMILAR_SUFFIX.sub(r"\1", text.lower())
        if self.salt_pattern is not None:
            lowered = self.salt_pattern.sub(" ", lowered)
        return " ".join(lowered.split())

    def ingredients_by_name(self, text: str) -> tuple[str, ...]:
        """Ingredient names found in free text, longest match first, without overlaps."""
        return _remembered(self._names_seen, text, self._scan_names)

    def _scan_names(self, text: str) -> tuple[str, ...]:
        remaining = self.normalize_name(text)
        found: list[str] = []
        for pattern, name in self.name_patterns:
            if pattern.search(remaining):
                remaining = pattern.sub(" ", remaining)
                if name not in found:
                    found.append(name)
        return tuple(found)

    def ingredients_by_codes(self, codings: Iterable[Coding]) -> tuple[str, ...]:
        """Ingredient names for RxNorm ingredient or product codes, and ATC codes."""
        found: list[str] = []
        for coding in codings:
            ingredient = self.ingredient_by_code.get((coding.system, coding.code))
            if ingredient is not None:
                names: tuple[str, ...] = (ingredient,)
            elif coding.system == RXNORM:
                names = self.ingredients_by_product.get(coding.code, ())
            else:
                continue
            for name in names:
                if name not in found:
                    found.append(name)
        return tuple(found)

    def groups_of(self, ingredient: str) -> frozenset[str]:
        """Every group the ingredient belongs to (see `in_group`)."""
        return _remembered(self._groups_seen, ingredient, self._groups_holding)

    def _groups_holding(self, ingredient: str) -> frozenset[str]:
        return frozenset(g for g in {*self.groups, *self.group_name_suffixes} if self.in_group(g, ingredient))

    def in_group(self, group: str, ingredient: str) -> bool:
        """Whether an ingredient (or, for suffix groups, any drug name) belongs to a group."""
        if ingredient in self.groups.get(group, frozenset()):
            return True
        return any(ingredient.endswith(s) for s in self.group_name_suffixes.get(group, ()))

    @cached_property
    def _non_systemic_pattern(self) -> re.Pattern[str] | None:
        # One alternation compiled once: this runs for every medication record.
        if not self.non_systemic_forms:
            return None
        return re.compile("|".join(rf"\b{re.escape(form)}" for form in self.non_systemic_forms))

    def is_non_systemic(self, text: str) -> bool:
        """Whether a product's dose form or route makes it non-systemic (a cream, eye drops)."""
        return _remembered(self._non_systemic_seen, text, self._has_non_systemic_form)

    def _has_non_systemic_form(self, text: str) -> bool:
        pattern = self._non_systemic_pattern
        return pattern is not None and pattern.search(text.lower()) is not None


def _remembered(seen: dict[str, T], key: str, work_out: Callable[[str], T]) -> T:
    """`work_out(key)`, done once per distinct key; at most NAME_CACHE_SIZE answers are kept."""
    if key not in seen:
        if len(seen) >= NAME_CACHE_SIZE:
            seen.clear()
        seen[key] = work_out(key)
    return seen[key]


def _word_pattern(text: str) -> str:
    """A whole-word pattern; names in scripts without word spaces (雷公藤) match as substrings."""
    if text.isascii():
        return rf"\b{re.escape(text)}\b"
    return re.escape(text)


@cache
def drug_catalog() -> DrugCatalog:
    """Load medications.yaml and rxnorm_products.yaml once."""
    meds = read_yaml("medications.yaml")
    products = read_yaml("rxnorm_products.yaml")
    by_code: dict[tuple[str, str], str] = {}
    names: list[tuple[str, str]] = []
    name_by_rxcui: dict[str, str] = {}
    for item in meds["ingredients"]:
        name = str(item["name"]).lower()
        if item.get("rxcui"):
            by_code[(RXNORM, str(item["rxcui"]))] = name
            name_by_rxcui[str(item["rxcui"])] = name
        for atc in [item.get("atc"), *(item.get("atc_other") or [])]:
            if atc:
                by_code[(ATC, str(atc))] = name
        names.append((name, name))
        names.extend((str(s).lower(), name) for s in item.get("synonyms") or [])
    names.sort(key=lambda pair: -len(pair[0]))
    patterns = tuple((re.compile(_word_pattern(text)), name) for text, name in names)
    by_product = {
        str(p["rxcui"]): tuple(name_by_rxcui[str(i)] for i in p["ingredients"] if str(i) in name_by_rxcui)
        for p in products["products"]
    }
    salts = [str(s).lower() for s in meds.get("salt_words") or []]
    salt_pattern = (
        re.compile(r"\b(" + "|".join(re.escape(s) for s in sorted(salts, key=len, reverse=True)) + r")\b")
        if salts
        else None
    )
    groups = {
        g: frozenset(str(m).lower() for m in body.get("members") or []) for g, body in meds["groups"].items()
    }
    suffixes = {g: tuple(body["name_suffixes"]) for g, body in meds["groups"].items() if body.get("name_suffixes")}
    factors = {str(k).lower(): Decimal(str(v)) for k, v in meds["prednisone_equivalence"]["factors"].items()}
    forms = tuple(str(f).lower() for f in meds.get("non_systemic_dose_forms") or [])
    return DrugCatalog(by_code, by_product, patterns, salt_pattern, groups, suffixes, factors, forms)
