"""Value sets loaded once from the YAML files under `fhir_mappings/valuesets/`.

Code lists are data with provenance (each code names its source); Python only
knows how to match a coding against them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

import yaml

from fhir_mappings.codes import SYSTEM_BY_ALIAS, canonical_system, normalize_code
from fhir_mappings.immutable import immutable

VALUESET_DIR = Path(__file__).with_name("valuesets")
# libyaml's safe loader where PyYAML was built with it: the same documents, ~10x faster
# (medications.yaml: 0.15 s in pure Python at start-up).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
CODED_VALUESET_FILES = ("conditions.yaml", "immunizations.yaml", "procedures.yaml")
# Distinct codings remembered (`valuesets_of`); bounds a long-running worker's memory.
MEMO_SIZE = 4096


class ValueSetError(ValueError):
    """A value-set file is malformed, or a name is not defined."""


@immutable
class Coding:
    """A (system, code) pair with an optional display, as found in a resource."""

    system: str
    code: str
    display: str = ""

    @property
    def token(self) -> str:
        """`system|code`, the FHIR token form used in evidence."""
        return f"{self.system}|{self.code}"


@dataclass(frozen=True)
class ValueSet:
    """A named set of codes: exact codes plus ICD-10-CM prefixes."""

    name: str
    description: str
    exact: frozenset[tuple[str, str]]
    prefixes: tuple[tuple[str, str], ...]

    def contains(self, coding: Coding) -> bool:
        """Whether a coding (any system URI spelling, ICD with or without dot) is in the set."""
        system = canonical_system(coding.system)
        code = normalize_code(system, coding.code)
        if (system, code) in self.exact:
            return True
        return any(system == s and code.startswith(p) for s, p in self.prefixes)


def read_yaml(name: str) -> dict[str, Any]:
    """Read one YAML data file of this package."""
    path = VALUESET_DIR / name
    with path.open(encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=SAFE_LOADER)
    if not isinstance(data, dict):
        raise ValueSetError(f"{path}: expected a mapping at the top level")
    return data


def _build(name: str, body: dict[str, Any], origin: str) -> ValueSet:
    exact: set[tuple[str, str]] = set()
    prefixes: list[tuple[str, str]] = []
    for entry in body.get("codes") or []:
        alias = entry.get("system")
        if alias not in SYSTEM_BY_ALIAS or "code" not in entry:
            raise ValueSetError(f"{origin}: value set {name!r}: bad entry {entry!r}")
        system = SYSTEM_BY_ALIAS[alias]
        code = normalize_code(system, str(entry["code"]))
        if entry.get("match") == "prefix":
            prefixes.append((system, code))
        else:
            exact.add((system, code))
    return ValueSet(name, str(body.get("description", "")), frozenset(exact), tuple(prefixes))


@cache
def coded_valuesets() -> dict[str, ValueSet]:
    """Every condition, immunization and procedure value set, by name."""
    sets: dict[str, ValueSet] = {}
    for filename in CODED_VALUESET_FILES:
        for name, body in (read_yaml(filename).get("valuesets") or {}).items():
            if name in sets:
                raise ValueSetError(f"{filename}: value set {name!r} is defined twice")
            sets[name] = _build(name, body, filename)
    return sets


@lru_cache(maxsize=MEMO_SIZE)
def _sets_holding(coding: Coding) -> frozenset[str]:
    # A long record repeats the same few codings: each distinct one is matched against
    # every value set once per worker.
    return frozenset(name for name, vs in coded_valuesets().items() if vs.contains(coding))


def valuesets_of(codings: Iterable[Coding]) -> frozenset[str]:
    """The names of every coded value set that holds one of the codings.

    Facts carry this, so a criterion asks "is this record in value set X" as one set
    lookup rather than matching codes again for every criterion (docs/performance.md).
    """
    listed = tuple(codings)
    if len(listed) == 1:
        return _sets_holding(listed[0])
    return frozenset().union(*(_sets_holding(coding) for coding in listed))


class Coded(Protocol):
    """A fact with codes: its codings, and the names of the coded value sets that hold them."""

    @property
    def codings(self) -> tuple[Coding, ...]: ...

    @property
    def valuesets(self) -> frozenset[str]: ...


C = TypeVar("C", bound=Coded)


def coded_in(facts: Iterable[C], names: Sequence[str]) -> list[tuple[C, Coding]]:
    """Each fact coded in one of the named value sets, in order, with the coding that
    decides it: the first coding held by the first of those sets that holds any."""
    wanted = frozenset(names)
    return [
        (fact, next(c for name in names for c in fact.codings if name in _sets_holding(c)))
        for fact in facts
        if not fact.valuesets.isdisjoint(wanted)
    ]


def valueset(name: str) -> ValueSet:
    """Look a value set up by name.

    :raise ValueSetError: no such value set (a trial file names one that does not exist).
    """
    try:
        return coded_valuesets()[name]
    except KeyError:
        raise ValueSetError(f"unknown value set {name!r}") from None
