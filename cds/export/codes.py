"""The codes behind the names a trial file uses: value sets, drug groups and analytes.

Each name becomes FHIR codings (system, code, display) read from the same data files the
engine matches with, and sentences for what a coding cannot say (an ICD-10-CM code that
counts with every code below it, a drug matched by name only, a group that takes any name
ending in -mab, an analyte with no standard code).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from cds.trials.parameters import Target
from cds.trials.schema import Trial
from fhir_mappings.codes import RXNORM, SYSTEM_BY_ALIAS
from fhir_mappings.drugs import drug_catalog
from fhir_mappings.labs import analytes
from fhir_mappings.terminology import CODED_VALUESET_FILES, read_yaml

Coding = dict[str, str]


@dataclass
class Coded:
    """Codings, and what they cannot say, in words."""

    codings: list[Coding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, other: Coded) -> None:
        """Take in another name's codings (each once) and notes."""
        self.codings += [c for c in other.codings if c not in self.codings]
        self.notes += other.notes


def _coding(system: str, code: str, display: str = "") -> Coding:
    return {"system": system, "code": code, **({"display": display} if display else {})}


@cache
def _valueset_entries() -> dict[str, list[dict[str, Any]]]:
    """Each coded value set's entries as written (display and match kept), by name."""
    found: dict[str, list[dict[str, Any]]] = {}
    for filename in CODED_VALUESET_FILES:
        for name, body in (read_yaml(filename).get("valuesets") or {}).items():
            found[name] = list(body.get("codes") or [])
    return found


def _valueset(name: str) -> Coded:
    entries = _valueset_entries()[name]
    coded = Coded([_coding(SYSTEM_BY_ALIAS[e["system"]], str(e["code"]), str(e.get("display", ""))) for e in entries])
    prefixes = [str(e["code"]) for e in entries if e.get("match") == "prefix"]
    if prefixes:
        coded.notes.append(f"value set {name}: these codes count with every code below them: {', '.join(prefixes)}")
    return coded


@cache
def _ingredient_codes() -> dict[str, str]:
    """RxNorm ingredient RxCUI of each catalog ingredient that has one, by ingredient name."""
    return {str(i["name"]).lower(): str(i["rxcui"]) for i in read_yaml("medications.yaml")["ingredients"] if i.get("rxcui")}


def _drug_group(name: str) -> Coded:
    catalog, rxcuis = drug_catalog(), _ingredient_codes()
    members = sorted(catalog.groups.get(name, frozenset()))
    coded = Coded([_coding(RXNORM, rxcuis[m], m) for m in members if m in rxcuis])
    by_name = [m for m in members if m not in rxcuis]
    if by_name:
        coded.notes.append(f"drug group {name}: matched by name only (no RxNorm ingredient code): {', '.join(by_name)}")
    suffixes = catalog.group_name_suffixes.get(name, ())
    if suffixes:
        coded.notes.append(f"drug group {name}: also any drug whose name ends in {', '.join('-' + s for s in suffixes)}")
    return coded


def _analyte(name: str, trial: Trial) -> Coded:
    known = analytes().get(name)
    if known is not None:
        return Coded([_coding(system, code, known.display) for system, code in sorted(known.codes)])
    local = trial.local_analytes.get(name, ())
    if local:
        return Coded([_coding(system, code) for system, code in local], [f"analyte {name}: site-local codes"])
    return Coded([], [f"analyte {name}: no standard code, and the trial file names no local code"])


def codes_of(target: Target, name: str, trial: Trial) -> Coded:
    """The codings a value-set, drug-group or analyte name stands for in this trial."""
    if target == "value set":
        return _valueset(name)
    if target == "drug group":
        return _drug_group(name)
    return _analyte(name, trial)

