"""Criterion results shared by the patients who have nothing a criterion reads.

Most patients of a population have no record a given criterion reads: no lupus diagnosis,
no anti-dsDNA result, no belimumab. For them the criterion's result is the same words,
status and (empty) evidence at the same date D, so it is worked out once per criterion,
date and record profile and then reused (population screening evaluates every patient
against every trial; most criteria of most patients are such). A criterion is shared only
when no leaf has input (`Kind.has_input`, cds/engine/kinds/inputs.py) and no resource of
the record was unreadable or missing (those turn a leaf's not_met into unknown, naming the
resource). The profile holds the record-wide facts a part without input still reads: whether
there are medication records at all, which analytes have codes, and whether a birth date
gives an age at D.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cds.engine.context import EvaluationContext
from cds.trials.schema import Criterion

R = TypeVar("R")
# Results kept at most; the service's D moves each day, so older dates go when it fills.
LIMIT = 4096


class SharedResults(Generic[R]):
    """Per (criterion, D, record profile): the result every patient without input gets."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self._results: dict[Hashable, tuple[Criterion, R]] = {}

    def result(self, criterion: Criterion, ctx: EvaluationContext, compute: Callable[[], R]) -> R:
        """The shared result when the patient has no input for the criterion; else `compute()`."""
        if ctx.facts.unreadable or _has_input(criterion, ctx):
            return compute()
        key = (id(criterion), ctx.as_of, _profile(ctx))
        found = self._results.get(key)
        if found is not None and found[0] is criterion:  # the id of a criterion still alive
            return found[1]
        if len(self._results) >= self.limit:
            self._results.clear()
        result = compute()
        self._results[key] = (criterion, result)
        return result


def _has_input(criterion: Criterion, ctx: EvaluationContext) -> bool:
    """Whether any part of the criterion has input for the patient (a loop, not `any()` over a
    generator: this runs for every criterion of every patient)."""
    for leaf in criterion.leaves:
        if leaf.kind.has_input(leaf.params, ctx):
            return True
    return False


def _profile(ctx: EvaluationContext) -> tuple[bool, frozenset[str], bool]:
    """The record-wide facts a part without input still reads, worked out once per record and D."""
    facts = ctx.facts
    key = ("shared_profile", ctx.as_of)
    found = facts.memo.get(key)
    if found is None:
        ages = facts.demographics.age_range(ctx.as_of)
        found = facts.memo[key] = (facts.medication_records == 0, facts.coded_analytes, ages is None)
    return found

