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


from fhir_mappings.codes import SYSTEM_BY_ALIAS, canonical_system, normalize_code
from fhir_mappings.immutable import immutable
from fhir_mappings.yaml_data import load_yaml

VALUESET_DIR = Path(__file__).with_name("valuesets")
CODED_VALUESET_FILES = ("conditions.yaml", "immunizations.yaml", "procedures.yaml", "encounters.yaml")
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
class CodeRule:
    """Which codes of one system an entry stands for: one code, every code below a prefix,
    or every code whose leading characters fall in a range (ICD-10-CM "A00-B99")."""

    system: str
    low: str
    high: str | None = None
    prefix: bool = False

    def holds(self, system: str, code: str) -> bool:
        """Whether a (canonical system, normalized code) pair is covered."""
        if system != self.system:
            return False
        if self.high is not None:
            return self.low <= code[: len(self.low)] <= self.high
        return code.startswith(self.low) if self.prefix else code == self.low


@dataclass(frozen=True)
class ValueSet:
    """A named set of codes: exact codes, prefixes and ranges, minus the excluded ones."""

    name: str
    description: str
    exact: frozenset[tuple[str, str]]
    rules: tuple[CodeRule, ...]
    excluded: tuple[CodeRule, ...] = ()
    origin: str = ""

    def contains(self, coding: Coding) -> bool:
        """Whether a coding (any system URI spelling, ICD with or without dot) is in the set."""
        system = canonical_system(coding.system)
        code = normalize_code(system, coding.code)
        if (system, code) not in self.exact and not any(r.holds(system, code) for r in self.rules):
            return False
        return not any(r.holds(system, code) for r in self.excluded)


def read_yaml(name: str) -> dict[str, Any]:
    """Read one YAML data file of this package."""
    path = VALUESET_DIR / name
    with path.open(encoding="utf-8") as fh:
        data = load_yaml(fh)
    if not isinstance(data, dict):
        raise ValueSetError(f"{path}: expected a mapping at the top level")
    return data


def _rule(entry: Any, where: str) -> CodeRule:
    """One code entry as a rule: `match: prefix` covers the codes below it, `match: range`
    the codes from `code` to `to` compared on as many leading characters (both ends included)."""
    if not isinstance(entry, dict) or entry.get("system") not in SYSTEM_BY_ALIAS or "code" not in entry:
        raise ValueSetError(f"{where}: bad entry {entry!r}")
    system = SYSTEM_BY_ALIAS[entry["system"]]
    low = normalize_code(system, str(entry["code"]))
    match = entry.get("match")
    if match == "range":
        high = normalize_code(system, str(entry.get("to", "")))
        if len(high) != len(low) or high < low:
            raise ValueSetError(f"{where}: range {entry['code']}-{entry.get('to')} needs two ends of one length, in order")
        return CodeRule(system, low, high)
    if match not in (None, "prefix"):
        raise ValueSetError(f"{where}: unknown match {match!r} (prefix or range)")
    return CodeRule(system, low, prefix=match == "prefix")


def valueset_from(name: str, body: dict[str, Any], origin: str) -> ValueSet:
    """A value set from its YAML body (`codes`, optional `exclude`); `origin` names the file in errors."""
    where = f"{origin}: value set {name!r}"
    exact: set[tuple[str, str]] = set()
    rules: list[CodeRule] = []
    for entry in body.get("codes") or []:
        rule = _rule(entry, where)
        if rule.high is None and not rule.prefix:
            exact.add((rule.system, rule.low))
        else:
            rules.append(rule)
    excluded = tuple(_rule(entry, f"{where} exclude") for entry in body.get("exclude") or [])
    return ValueSet(name, str(body.get("description", "")), frozenset(exact), tuple(rules), excluded, origin)


@cache
def coded_valuesets() -> dict[str, ValueSet]:
    """Every condition, immunization, procedure and encounter value set, by name."""
    sets: dict[str, ValueSet] = {}
    for filename in CODED_VALUESET_FILES:
        for name, body in (read_yaml(filename).get("valuesets") or {}).items():
            if name in sets:
                raise ValueSetError(f"{filename}: value set {name!r} is defined twice")
            sets[name] = valueset_from(name, body, filename)
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
