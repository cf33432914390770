"""The route class of a medication record (portfolio rule G3), from routes.yaml.

One class per record: `iv`, `other_parenteral` (IM, SC), `oral`, `local` or `unknown`,
read in this order:

1. the dosage route: a code of routes.yaml `route_codes` (SNOMED CT, list ROUTE); else the
   words of the route's text and of its other codings' displays ("Intravenous", "PO");
2. else the dose form: the words of Medication.form, else the dose-form words of the
   product's names ("Cyclophosphamide 1000 MG Injection"). An injectable form counts as
   IV, since an IV-only rule counts an injectable form with no route code.

A route overrides the dose form. Routes of several classes on one record (two dosage
instructions by different routes) leave the class unknown, as does a record with neither
a route nor a dose form (an ingredient-only code, free text without form words). The
answer is remembered per distinct route, form and names: renewals repeat one product.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Literal

from fhir_mappings.codes import SYSTEM_BY_ALIAS
from fhir_mappings.coding import codings_of, concept_text
from fhir_mappings.immutable import immutable
from fhir_mappings.terminology import Coding, ValueSetError, read_yaml

RouteClass = Literal["iv", "other_parenteral", "oral", "local", "unknown"]
ROUTE_CLASSES: tuple[RouteClass, ...] = ("iv", "other_parenteral", "oral", "local")
LOCAL: RouteClass = "local"
UNKNOWN: RouteClass = "unknown"
# How a reason names each class.
CLASS_NAMES: dict[str, str] = {
    "iv": "IV",
    "other_parenteral": "IM/SC",
    "oral": "oral",
    "local": "local",
    "unknown": "unknown",
}


@immutable
class RouteReading:
    """A record's route class and what it was read from ("route SNOMED 47625008 Intravenous
    route", "dose form 'Injection' (no route code)", "no route or dose form")."""

    route_class: RouteClass
    basis: str


@dataclass(frozen=True)
class _WordClasses:
    """Word patterns per class; `classes_in` lists the classes a text names."""

    patterns: tuple[tuple[RouteClass, re.Pattern[str]], ...]

    def classes_in(self, text: str) -> list[tuple[RouteClass, str]]:
        lowered = text.lower()
        found = []
        for route_class, pattern in self.patterns:
            match = pattern.search(lowered)
            if match is not None:
                found.append((route_class, match.group(0)))
        return found


@dataclass(frozen=True)
class RouteTables:
    """routes.yaml, compiled."""

    codes: dict[tuple[str, str], RouteClass]
    route_words: _WordClasses
    form_words: _WordClasses
    # Route restriction name -> the classes that count (systemic, parenteral, iv, oral).
    rules: dict[str, frozenset[RouteClass]]


def _pattern(words: Iterable[str]) -> re.Pattern[str]:
    # A word is whole, a plural "s" allowed, or a stem with a trailing `*`; a hyphen joins
    # words ("Liqui-Gels" is not "gel", "Auto-Injector" is one word).
    parts = [re.escape(w[:-1]) + r"[a-z]*" if w.endswith("*") else re.escape(w) + "s?" for w in words]
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])")


def _word_classes(entries: Sequence[dict[str, Any]], known: set[str], origin: str) -> _WordClasses:
    grouped: dict[RouteClass, list[str]] = {}
    for entry in entries:
        route_class = entry["class"]
        if route_class not in known:
            raise ValueSetError(f"routes.yaml {origin}: unknown class {route_class!r}")
        grouped.setdefault(route_class, []).extend(str(w).lower() for w in entry["words"])
    return _WordClasses(tuple((c, _pattern(words)) for c, words in grouped.items()))


@cache
def route_tables() -> RouteTables:
    """Load routes.yaml once."""
    data = read_yaml("routes.yaml")
    known = set(data["classes"])
    if known != set(ROUTE_CLASSES):
        raise ValueSetError(f"routes.yaml: classes must be {list(ROUTE_CLASSES)}, got {sorted(known)}")
    codes = {}
    for entry in data["route_codes"]:
        if entry["class"] not in known:
            raise ValueSetError(f"routes.yaml route_codes: unknown class in {entry!r}")
        codes[(SYSTEM_BY_ALIAS[entry["system"]], str(entry["code"]))] = entry["class"]
    rules = {}
    for name, body in data["route_rules"].items():
        classes = frozenset(body["classes"])
        if not classes <= known:
            raise ValueSetError(f"routes.yaml route_rules: {name!r} names unknown classes {sorted(classes - known)}")
        rules[str(name)] = classes
    return RouteTables(
        codes,
        _word_classes(data["route_words"], known, "route_words"),
        _word_classes(data["dose_form_words"], known, "dose_form_words"),
        rules,
    )


def _one_class(found: list[tuple[RouteClass, str]]) -> RouteClass | None:
    """The class words name: local wins over another class; two other classes: unknown."""
    classes = {c for c, _ in found}
    if LOCAL in classes:
        return LOCAL
    if len(classes) == 1:
        return classes.pop()
    return UNKNOWN if classes else None


def _from_route(routes: tuple[tuple[tuple[Coding, ...], str], ...], tables: RouteTables) -> RouteReading | None:
    coded = [(tables.codes[(c.system, c.code)], c) for codings, _ in routes for c in codings if (c.system, c.code) in tables.codes]
    if coded:
        classes = {c for c, _ in coded}
        shown = "; ".join(dict.fromkeys(f"SNOMED {c.code}{' ' + c.display if c.display else ''}" for _, c in coded))
        if len(classes) > 1:
            return RouteReading(UNKNOWN, f"route codes of different classes ({shown})")
        return RouteReading(classes.pop(), f"route {shown}")
    words = [hit for codings, text in routes for piece in (text, *(c.display for c in codings)) if piece for hit in tables.route_words.classes_in(piece)]
    return _from_words(words, "route", from_form=False)


def _from_form(text: str, tables: RouteTables, what: str) -> RouteReading | None:
    return _from_words(tables.form_words.classes_in(text), what, from_form=True)


def _from_words(words: list[tuple[RouteClass, str]], what: str, from_form: bool) -> RouteReading | None:
    """The class the words found name, saying which words (None: no words of any class)."""
    route_class = _one_class(words)
    if route_class is None:
        return None
    shown = ", ".join(dict.fromkeys(f"'{w}'" for _, w in words))
    if route_class == UNKNOWN:
        return RouteReading(UNKNOWN, f"{what} words of different classes ({shown})")
    qualifier = ""
    if from_form:
        qualifier = " (injectable, no route code: counted as IV)" if route_class == "iv" else " (no route code)"
    return RouteReading(route_class, f"{what} {shown}{qualifier}")


@lru_cache(maxsize=4096)
def _classify(routes: tuple[tuple[tuple[Coding, ...], str], ...], form: str, names: tuple[str, ...]) -> RouteReading:
    tables = route_tables()
    found = _from_route(routes, tables)
    if found is None and form:
        found = _from_form(form, tables, "dose form")
    if found is None and names:
        found = _from_form(" / ".join(names), tables, "dose form in the name")
    return found or RouteReading(UNKNOWN, "no route and no dose form")


def route_class(routes: Sequence[Any], form: str, names: Sequence[str]) -> RouteReading:
    """The route class of a record from its dosage routes (CodeableConcepts), its
    Medication.form text and its product's names.

    :raise MalformedResourceError: a route has the wrong JSON type.
    """
    read = tuple((codings_of(route), concept_text(route) if isinstance(route, dict) and "text" in route else "") for route in routes)
    return _classify(read, form, tuple(names))
