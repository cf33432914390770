"""Whether a patient has anything a part reads: each kind's `has_input`.

A part whose patient has no fact it reads (no Condition in its value sets, no result of
its analytes, no record of its drug groups) has the same outcome for every such patient
at the same date D, give or take the few record-wide facts `cds/engine/shared_results.py`
keys on. That lets the engine work such a criterion out once per date and hand the same
result to every patient without input for it (population screening: most patients of an
export have no lupus record at all). So `has_input` may say True when in doubt, never
False when the part would read something: it selects with the same helpers the kinds
select with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from cds.engine.context import EvaluationContext
from cds.engine.drugs import group_members
from fhir_mappings.facts import Facts

HasInput = Callable[[Any, EvaluationContext], bool]


def never(params: Any, ctx: EvaluationContext) -> bool:
    """A part that reads nothing of the record (a manual check)."""
    return False


def lab_results(params: Any, ctx: EvaluationContext) -> bool:
    """Any result, dated or not, of an analyte the part reads (`Params.analytes_read`)."""
    labs = ctx.facts.labs
    return any(labs.get(analyte) for analyte in params.analytes_read())


def _coded_sets(facts: Facts, family: str) -> frozenset[str]:
    """The value sets any fact of a family (`conditions`, `procedures`...) is coded in,
    worked out once per patient."""
    key = ("coded_sets", family)
    found = facts.memo.get(key)
    if found is None:
        found = facts.memo[key] = frozenset().union(*(fact.valuesets for fact in getattr(facts, family)))
    return found


def coded(family: str, names: Callable[[Any], Iterable[str]]) -> HasInput:
    """Any fact of the family coded in one of the value sets the part names."""

    def has_input(params: Any, ctx: EvaluationContext) -> bool:
        return not _coded_sets(ctx.facts, family).isdisjoint(names(params))

    return has_input


def drugs(groups: Callable[[Any], Iterable[str]]) -> HasInput:
    """Any exposure to an ingredient of the drug groups the part names, by any route."""

    def has_input(params: Any, ctx: EvaluationContext) -> bool:
        return bool(group_members(ctx.facts, groups(params)))

    return has_input
