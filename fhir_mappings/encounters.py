"""Encounters -> encounter facts: their class and type, period, and the Conditions they
are linked to (portfolio G16, "hospitalisation for infection").

Most encounters of a long record are ambulatory visits no criterion reads. An
Encounter is kept only when its class or one of its types is in an encounter value set
(encounters.yaml: the inpatient classes and types), and its status is neither cancelled
nor entered-in-error; only then are its reasons and diagnoses read and its references
followed. The raw codes are tested against those sets' codes before any Coding is built. Links, in every reference form (ground rules, "References"):

- reasonCode: the codings themselves;
- reasonReference and diagnosis.condition: the Conditions they point to (a contained
  one too), not refuted;
- Condition.encounter: every Condition of the record recorded in this Encounter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cache, cached_property
from typing import Any

from fhir_mappings.coding import Coding, codings_of
from fhir_mappings.conditions import ConditionFact, extract_conditions
from fhir_mappings.dates import Span, date_span
from fhir_mappings.immutable import immutable
from fhir_mappings.readable import (
    MalformedResourceError,
    Unreadable,
    element,
    read_each,
    reference_of,
    status_of,
)
from fhir_mappings.references import reference_of as target_of
from fhir_mappings.terminology import coded_valuesets, valuesets_of

ENCOUNTER_VALUESET_FILE = "encounters.yaml"
IGNORED_STATUSES = frozenset({"cancelled", "entered-in-error"})
# The status under which an Encounter with no end runs to D (G16); any other status
# without an end stands for its start day only.
ONGOING_STATUS = "in-progress"
Resolver = Callable[[Any, "dict[str, Any] | None"], "dict[str, Any] | None"]


@immutable
class EncounterFact:
    """One Encounter kept for the criteria: class and type codings (and the value sets
    they are in), status, period, reason codings, and the Conditions linked to it."""

    reference: str
    codings: tuple[Coding, ...]
    valuesets: frozenset[str]
    status: str | None
    start: Span | None
    end: Span | None
    reasons: tuple[Coding, ...]
    reason_valuesets: frozenset[str]
    linked: tuple[ConditionFact, ...]

    @property
    def ongoing(self) -> bool:
        """Whether an Encounter with no end runs to D (status in-progress)."""
        return self.end is None and self.status == ONGOING_STATUS


def _class_codings(value: Any) -> tuple[Coding, ...]:
    """Encounter.class: a Coding in R4; a CodeableConcept, or a list of them, as some
    servers send the R5 shape."""
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(c for item in value for c in _class_codings(item))
    if not isinstance(value, dict):
        raise MalformedResourceError("class is not a JSON object")
    if "coding" in value:
        return codings_of(value)
    return codings_of({"coding": [value]})


@cache
def encounter_valuesets() -> tuple[frozenset[str], frozenset[str] | None]:
    """(the names of the encounter value sets, the codes they list), the codes None when
    a set matches by prefix or range (then no code can be passed over on sight)."""
    sets = [vs for vs in coded_valuesets().values() if vs.origin == ENCOUNTER_VALUESET_FILE]
    codes = None if any(vs.rules for vs in sets) else frozenset(code for vs in sets for _, code in vs.exact)
    return frozenset(vs.name for vs in sets), codes


def _raw_codes(resource: dict[str, Any]) -> set[str]:
    """The code strings of Encounter.class and Encounter.type as sent, unchecked."""
    found: set[str] = set()
    klass = resource.get("class")
    for item in klass if isinstance(klass, list) else [klass]:
        if isinstance(item, dict):
            found.add(str(item.get("code")))
            found.update(str(c.get("code")) for c in item.get("coding") or [] if isinstance(c, dict))
    for concept in resource.get("type") or []:
        if isinstance(concept, dict):
            found.update(str(c.get("code")) for c in concept.get("coding") or [] if isinstance(c, dict))
    return found


def _list(resource: dict[str, Any], name: str) -> list[Any]:
    return (element(resource, name, list) or []) if name in resource else []


class EncounterReader:
    """Reads the Encounters of one record, with what it needs to follow their links."""

    def __init__(
        self,
        conditions: list[ConditionFact],
        resolve: Resolver,
        full_urls: Mapping[str, dict[str, Any]],
        birth: Span | None,
    ) -> None:
        self.by_reference = {c.reference: c for c in conditions}
        self.recorded_in: dict[str, list[ConditionFact]] = {}
        for fact in conditions:
            if fact.encounter is not None:
                self.recorded_in.setdefault(fact.encounter, []).append(fact)
        self.resolve = resolve
        self.full_urls = full_urls
        self.birth = birth

    def __call__(self, resource: dict[str, Any]) -> list[EncounterFact]:
        names, codes = encounter_valuesets()
        if codes is not None and codes.isdisjoint(_raw_codes(resource)):
            return []
        codings = _class_codings(resource.get("class")) + tuple(c for t in _list(resource, "type") for c in codings_of(t))
        sets = valuesets_of(codings) & names
        if not sets or status_of(resource) in IGNORED_STATUSES:
            return []
        period = element(resource, "period", dict) or {}
        end = date_span(period.get("end"))
        start = date_span(period.get("start")) or end
        reasons = tuple(c for item in _list(resource, "reasonCode") for c in codings_of(item))
        fact = EncounterFact(
            reference=reference_of(resource),
            codings=codings,
            valuesets=sets,
            status=status_of(resource),
            start=start,
            end=end,
            reasons=reasons,
            reason_valuesets=valuesets_of(reasons),
            linked=tuple(dict.fromkeys(self._linked(resource))),
        )
        return [fact]

    def _linked(self, resource: dict[str, Any]) -> Iterable[ConditionFact]:
        targets = [target_of(item) for item in _list(resource, "reasonReference")]
        targets += [target_of(item.get("condition")) for item in _list(resource, "diagnosis") if isinstance(item, dict)]
        for target in targets:
            yield from self._condition(target, resource)
        for key in self._keys(resource):
            yield from self.recorded_in.get(key, ())

    @cached_property
    def _full_url_keys(self) -> dict[int, list[str]]:
        """The fullUrl keys of the record's Encounters, by resource identity (built once,
        and only when an Encounter is kept)."""
        keys: dict[int, list[str]] = {}
        for key, resource in self.full_urls.items():
            if resource.get("resourceType") == "Encounter":
                keys.setdefault(id(resource), []).append(key)
        return keys

    def _keys(self, resource: dict[str, Any]) -> list[str]:
        """Every key the Encounter may be referred to by: `Encounter/id` and its fullUrl's."""
        rid = resource.get("id")
        own = [f"Encounter/{rid}"] if isinstance(rid, str) and rid else []
        return own + [k for k in self._full_url_keys.get(id(resource), []) if k not in own]

    def _condition(self, target: str | None, container: dict[str, Any]) -> list[ConditionFact]:
        """The Condition a reference points to, as a fact; none if it is not a Condition,
        cannot be found, or is refuted."""
        found = self.resolve(target, container) if target is not None else None
        if not isinstance(found, dict) or found.get("resourceType") != "Condition":
            return []
        if target is not None and target.startswith("#"):
            contained, _ = extract_conditions([found], self.birth)
            return contained
        fact = self.by_reference.get(reference_of(found))
        return [fact] if fact is not None else []


def extract_encounters(
    resources: Iterable[dict[str, Any]],
    conditions: list[ConditionFact],
    resolve: Resolver,
    full_urls: Mapping[str, dict[str, Any]],
    birth: Span | None = None,
) -> tuple[list[EncounterFact], list[Unreadable]]:
    """The Encounters whose class or type is in a value set, not cancelled or entered in
    error, with their links; and those that cannot be read."""
    return read_each(resources, EncounterReader(conditions, resolve, full_urls, birth))
