"""What every evaluator receives: the patient's facts, the evaluation date D, and the
kind of criterion the part serves."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

from fhir_mappings.facts import Facts

CriterionKind = Literal["inclusion", "exclusion"]


@dataclass(frozen=True)
class EvaluationContext:
    """Facts plus `as_of` (D). Evaluators never read the clock.

    `serves` is the kind of the criterion whose tree is being evaluated: a record that
    counts one way for an exclusion may not count for an inclusion (an unconfirmed
    diagnosis counts for an exclusion, but never meets an inclusion). The tree passes a
    context per criterion (`for_criterion`).
    """

    facts: Facts
    as_of: date
    serves: CriterionKind = "exclusion"

    def for_criterion(self, kind: CriterionKind) -> EvaluationContext:
        """The same facts and date for the parts of one criterion of `kind`."""
        return self if kind == self.serves else replace(self, serves=kind)

    def days_before(self, days: int) -> date:
        """D minus `days`: the first day of a look-back window (windows include both ends)."""
        return self.as_of - timedelta(days=days)

