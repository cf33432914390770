"""The offline drug catalog: RxNorm codes, ingredient names and brand names -> ingredients.

Three data files under `fhir_mappings/valuesets/` feed it:

- `medications.yaml`, curated from the reference pages: ingredients (RxNorm IN, ATC), synonyms,
  the brands a page names, RxNorm concepts that are not single ingredients (PIN, MIN), groups;
- `rxnorm_products.json` and `rxnorm_brands.json`, generated from the public value-set
  consolidation by `scripts/build_drug_tables.py`: every product code (any term type) and
  brand of those sources that contains an ingredient of medications.yaml.

A code is one dict lookup. A name is normalized (lower-cased, since Synthea writes Tall-Man
"predniSONE"; salt words dropped; a biosimilar suffix "infliximab-dyyb" dropped), cut into
words, and matched against the word sequences of every ingredient name, synonym and brand:
left to right, the longest sequence first at each word, without overlaps, so "Solu-Medrol" is
one brand and "silver sulfadiazine" is not the anti-infective sulfadiazine. Names written in
a script without word spaces (雷公藤) match as substrings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, cached_property
from typing import Any, TypeVar

import orjson

from fhir_mappings.codes import ATC, RXNORM
from fhir_mappings.coding import Coding
from fhir_mappings.terminology import VALUESET_DIR, ValueSetError, read_yaml

T = TypeVar("T")
PRODUCT_TABLE = "rxnorm_products.json"
BRAND_TABLE = "rxnorm_brands.json"
WORD = re.compile(r"\w+")
# RxNorm names a biosimilar by the base ingredient and a four-letter suffix (infliximab-dyyb,
# etanercept-szzs). Only -mab/-cept names are cut: a brand such as "Key-Pred" must stay whole.
BIOSIMILAR_SUFFIX = re.compile(r"\b([a-z]+(?:mab|cept))-[a-z]{4}\b")
# Distinct labels or ingredients remembered (`_remembered`); bounds a long-running worker's memory.
NAME_CACHE_SIZE = 4096


@dataclass(frozen=True)
class NameRules:
    """How a drug name is normalized before matching (shared with the table build script)."""

    salt_pattern: re.Pattern[str] | None

    def normalize(self, text: str) -> str:
        """Lower-case, map biosimilar names to the base name, drop salt words."""
        lowered = BIOSIMILAR_SUFFIX.sub(r"\1", text.lower())
        if self.salt_pattern is not None:
            lowered = self.salt_pattern.sub(" ", lowered)
        return " ".join(lowered.split())

    def words(self, text: str) -> tuple[str, ...]:
        """The normalized words of a name; punctuation separates words ("Solu-Medrol")."""
        return tuple(WORD.findall(self.normalize(text)))


def name_rules(meds: Mapping[str, Any]) -> NameRules:
    """The normalization rules of medications.yaml (its salt words)."""
    salts = sorted((str(s).lower() for s in meds.get("salt_words") or []), key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(s) for s in salts) + r")\b") if salts else None
    return NameRules(pattern)


def spellings(meds: Mapping[str, Any], rules: NameRules) -> dict[str, str]:
    """Normalized ingredient name or synonym -> the ingredient's catalog name (lower case)."""
    found: dict[str, str] = {}
    for item in meds["ingredients"]:
        name = str(item["name"]).lower()
        for text in [name, *(item.get("synonyms") or [])]:
            found[rules.normalize(str(text))] = name
    return found


@dataclass(frozen=True)
class DrugCatalog:
    """Everything needed to turn a medication coding or name into ingredient names."""

    rules: NameRules
    ingredients_by_code: dict[tuple[str, str], tuple[str, ...]]
    # Word sequence of an ingredient name, synonym or brand -> its ingredients.
    names: dict[tuple[str, ...], tuple[str, ...]]
    unspaced_names: tuple[tuple[str, tuple[str, ...]], ...]
    groups: dict[str, frozenset[str]]
    group_name_suffixes: dict[str, tuple[str, ...]]
    prednisone_factor: dict[str, Decimal]
    # RxNorm code -> its RxNorm name as the product table gives it ("cyclophosphamide 1000
    # MG Injection"): the dose form of a code a record sends without a display (G3).
    rxnorm_names: dict[str, str] = field(default_factory=dict)
    # Answers remembered per distinct label or ingredient: renewals repeat one label
    # hundreds of times in a long record, and every criterion asks about every exposure.
    _names_seen: dict[str, tuple[str, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _groups_seen: dict[str, frozenset[str]] = field(default_factory=dict, init=False, repr=False, compare=False)

    @cached_property
    def group_names(self) -> frozenset[str]:
        """Every group a trial file may name (for checking a trial file at start-up)."""
        return frozenset({*self.groups, *self.group_name_suffixes})

    @cached_property
    def _longest_name(self) -> int:
        return max((len(words) for words in self.names), default=0)

    @cached_property
    def _first_words(self) -> frozenset[str]:
        return frozenset(words[0] for words in self.names)

    def normalize_name(self, text: str) -> str:
        """Lower-case, map biosimilar names to the base name, drop salt words."""
        return self.rules.normalize(text)

    def ingredients_by_name(self, text: str) -> tuple[str, ...]:
        """Ingredients named in free text by ingredient name, synonym or brand, in text order."""
        return _remembered(self._names_seen, text, self._scan_names)

    def _scan_names(self, text: str) -> tuple[str, ...]:
        normalized = self.rules.normalize(text)
        words = WORD.findall(normalized)
        found: dict[str, None] = {}
        at = 0
        while at < len(words):
            hit = self._longest_at(words, at) if words[at] in self._first_words else None
            if hit is None:
                at += 1
                continue
            length, ingredients = hit
            found.update(dict.fromkeys(ingredients))
            at += length
        for fragment, ingredients in self.unspaced_names:
            if fragment in normalized:
                found.update(dict.fromkeys(ingredients))
        return tuple(found)

    def _longest_at(self, words: list[str], at: int) -> tuple[int, tuple[str, ...]] | None:
        for length in range(min(self._longest_name, len(words) - at), 0, -1):
            ingredients = self.names.get(tuple(words[at : at + length]))
            if ingredients is not None:
                return length, ingredients
        return None

    def ingredients_by_codes(self, codings: Iterable[Coding]) -> tuple[str, ...]:
        """Ingredient names for RxNorm codes of any term type, and ATC codes."""
        found: dict[str, None] = {}
        for coding in codings:
            found.update(dict.fromkeys(self.ingredients_by_code.get((coding.system, coding.code), ())))
        return tuple(found)

    def groups_of(self, ingredient: str) -> frozenset[str]:
        """Every group the ingredient belongs to (see `in_group`)."""
        return _remembered(self._groups_seen, ingredient, self._groups_holding)

    def _groups_holding(self, ingredient: str) -> frozenset[str]:
        return frozenset(g for g in self.group_names if self.in_group(g, ingredient))

    def in_group(self, group: str, ingredient: str) -> bool:
        """Whether an ingredient (or, for suffix groups, any drug name) belongs to a group."""
        if ingredient in self.groups.get(group, frozenset()):
            return True
        suffixes = self.group_name_suffixes.get(group, ())
        return bool(suffixes) and any(word.endswith(suffixes) for word in ingredient.split())


def _remembered(seen: dict[str, T], key: str, work_out: Callable[[str], T]) -> T:
    """`work_out(key)`, done once per distinct key; at most NAME_CACHE_SIZE answers are kept."""
    if key not in seen:
        if len(seen) >= NAME_CACHE_SIZE:
            seen.clear()
        seen[key] = work_out(key)
    return seen[key]


class _Entries:
    """Key -> ingredients, refusing a key that two sources map to different ingredients."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.found: dict[Any, tuple[str, ...]] = {}
        self._shared: dict[tuple[str, ...], tuple[str, ...]] = {}

    def add(self, key: Any, ingredients: Iterable[str], origin: str) -> None:
        value = tuple(ingredients)
        value = self._shared.setdefault(value, value)  # one tuple per distinct ingredient set
        known = self.found.setdefault(key, value)
        if known != value:
            raise ValueSetError(f"{origin}: {self.what} {key!r} maps to {list(value)}, elsewhere to {list(known)}")


def _codes(meds: Mapping[str, Any], products: Mapping[str, Any]) -> dict[tuple[str, str], tuple[str, ...]]:
    entries = _Entries("RxNorm code")
    for rxcui, row in products["products"].items():
        entries.add((RXNORM, rxcui), row["ingredients"], PRODUCT_TABLE)
    for item in meds["ingredients"]:
        name = str(item["name"]).lower()
        if item.get("rxcui"):
            entries.add((RXNORM, str(item["rxcui"])), [name], "medications.yaml ingredients")
        for atc in [item.get("atc"), *(item.get("atc_other") or [])]:
            # An ATC code shared by several ingredients (L04AA06, the mycophenolates) stands for
            # the first one listed; they share every group.
            if atc and (ATC, str(atc)) not in entries.found:
                entries.add((ATC, str(atc)), [name], "medications.yaml ingredients")
    for concept in meds.get("rxnorm_concepts") or []:
        entries.add((RXNORM, str(concept["rxcui"])), [str(i).lower() for i in concept["ingredients"]], "medications.yaml rxnorm_concepts")
    return entries.found


def _names(meds: Mapping[str, Any], brands: Mapping[str, Any], rules: NameRules) -> dict[tuple[str, ...], tuple[str, ...]]:
    entries = _Entries("name")

    def add(text: str, ingredients: list[str], origin: str) -> None:
        words = rules.words(text)
        if not words:
            raise ValueSetError(f"{origin}: name {text!r} has no words left once normalized")
        entries.add(words, ingredients, origin)

    for item in meds["ingredients"]:
        name = str(item["name"]).lower()
        for text in [name, *(item.get("synonyms") or []), *(item.get("brands") or [])]:
            if str(text).isascii():
                add(str(text), [name], "medications.yaml ingredients")
    for brand, row in brands["brands"].items():
        add(brand, row["ingredients"], BRAND_TABLE)
    return entries.found


def _groups(meds: Mapping[str, Any], declared: set[str]) -> tuple[dict[str, frozenset[str]], dict[str, tuple[str, ...]]]:
    """Each group's members and name suffixes, with those of the groups it `includes`."""
    specs: dict[str, Any] = meds["groups"]
    members: dict[str, frozenset[str]] = {}
    suffixes: dict[str, tuple[str, ...]] = {}

    def resolve(group: str, path: tuple[str, ...]) -> None:
        if group in members:
            return
        if group in path:
            raise ValueSetError(f"medications.yaml: group {group!r} includes itself ({' -> '.join(path)})")
        spec = specs.get(group)
        if spec is None:
            raise ValueSetError(f"medications.yaml: group {path[-1]!r} includes unknown group {group!r}")
        own = {str(m).lower() for m in spec.get("members") or []}
        if not own <= declared:
            raise ValueSetError(f"medications.yaml: group {group!r} names undeclared ingredients {sorted(own - declared)}")
        found_suffixes = list(spec.get("name_suffixes") or [])
        for included in spec.get("includes") or []:
            resolve(included, (*path, group))
            own |= members[included]
            found_suffixes += suffixes.get(included, ())
        members[group] = frozenset(own)
        if found_suffixes:
            suffixes[group] = tuple(dict.fromkeys(found_suffixes))

    for name in specs:
        resolve(name, ())
    return members, suffixes


def build_catalog(meds: Mapping[str, Any], products: Mapping[str, Any], brands: Mapping[str, Any]) -> DrugCatalog:
    """The catalog of medications.yaml and the two generated tables (already parsed).

    :raise ValueSetError: a group is malformed, or two entries map one code or name to
        different ingredients.
    """
    rules = name_rules(meds)
    declared = {str(item["name"]).lower() for item in meds["ingredients"]}
    unspaced = tuple(
        (rules.normalize(str(text)), (str(item["name"]).lower(),))
        for item in meds["ingredients"]
        for text in item.get("synonyms") or []
        if not str(text).isascii()
    )
    members, suffixes = _groups(meds, declared)
    factors = {str(k).lower(): Decimal(str(v)) for k, v in meds["prednisone_equivalence"]["factors"].items()}
    rxnorm_names = {str(rxcui): str(row["display"]) for rxcui, row in products["products"].items() if row.get("display")}
    return DrugCatalog(rules, _codes(meds, products), _names(meds, brands, rules), unspaced, members, suffixes, factors, rxnorm_names)


def read_table(name: str) -> dict[str, Any]:
    """One generated JSON table of this package."""
    path = VALUESET_DIR / name
    data = orjson.loads(path.read_bytes())
    if not isinstance(data, dict):
        raise ValueSetError(f"{path}: expected a JSON object at the top level")
    return data


@cache
def drug_catalog() -> DrugCatalog:
    """Load medications.yaml and the generated product and brand tables once."""
    return build_catalog(read_yaml("medications.yaml"), read_table(PRODUCT_TABLE), read_table(BRAND_TABLE))
