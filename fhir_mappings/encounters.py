"""Encounters -> encounter facts: their class and type, period, and the Conditions they
are linked to (portfolio G16, "hospitalisation for infection").

Most encounters of a long record are ambulatory visits no criterion reads. An
Encounter is kept only when its class or one of its types is in a coded value set (the
inpatient classes and types), and its status is neither cancelled nor
entered-in-error; only then are its reasons and diagnoses read and its references
followed. Links, in every reference form (ground rules, "References"):

- reasonCode: the codings themselves;
- reasonReference and diagnosis.condition: the Conditions they point to (a contained
  one too), not refuted;
- Condition.encounter: every Condition of the record recorded in this Encounter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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
from fhir_mappings.terminology import valuesets_of

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


def _list(resource: dict[str, Any], name: str) -> list[Any]:
    return (element(resource, name, list) or []) if name in resource else []


class EncounterReader:
    """Reads the Encounters of one record, with what it needs to follow their links."""

    def __init__(
        self,
        conditions: list[ConditionFact],
        resolve: Resolver,
        keys: Mapping[int, tuple[str, ...]],
        birth: Span | None,
    ) -> None:
        self.by_reference = {c.reference: c for c in conditions}
        self.recorded_in: dict[str, list[ConditionFact]] = {}
        for fact in conditions:
            if fact.encounter is not None:
                self.recorded_in.setdefault(fact.encounter, []).append(fact)
        self.resolve = resolve
        self.keys = keys
        self.birth = birth

    def __call__(self, resource: dict[str, Any]) -> list[EncounterFact]:
        codings = _class_codings(resource.get("class")) + tuple(c for t in _list(resource, "type") for c in codings_of(t))
        sets = valuesets_of(codings)
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
        for key in self.keys.get(id(resource), ()):
            yield from self.recorded_in.get(key, ())

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


def encounter_keys(resources: Iterable[dict[str, Any]], full_urls: Mapping[str, dict[str, Any]]) -> dict[int, tuple[str, ...]]:
    """Every key each Encounter may be referred to by (`Encounter/id`, its fullUrl's key),
    by the identity of its resource."""
    keys: dict[int, list[str]] = {}
    for resource in resources:
        rid = resource.get("id")
        keys[id(resource)] = [f"Encounter/{rid}"] if isinstance(rid, str) and rid else []
    for key, resource in full_urls.items():
        if id(resource) in keys and key not in keys[id(resource)]:
            keys[id(resource)].append(key)
    return {k: tuple(v) for k, v in keys.items()}


def extract_encounters(
    resources: Iterable[dict[str, Any]],
    conditions: list[ConditionFact],
    resolve: Resolver,
    full_urls: Mapping[str, dict[str, Any]],
    birth: Span | None = None,
) -> tuple[list[EncounterFact], list[Unreadable]]:
    """The Encounters whose class or type is in a value set, not cancelled or entered in
    error, with their links; and those that cannot be read."""
    listed = list(resources)
    if not listed:
        return [], []
    reader = EncounterReader(conditions, resolve, encounter_keys(listed, full_urls), birth)
    return read_each(listed, reader)
