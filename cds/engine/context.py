"""What every evaluator receives: the patient's facts, the evaluation date D, and the
kind of criterion the part serves."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Literal

from fhir_mappings.facts import Facts
from fhir_mappings.medications import Exposure, merge_exposures

CriterionKind = Literal["inclusion", "exclusion"]


@dataclass(frozen=True)
class EvaluationContext:
    """Facts plus `as_of` (D). Evaluators never read the clock.

    `serves` is the kind of the criterion whose tree is being evaluated: a record that
    counts one way for an exclusion may not count for an inclusion (an unconfirmed
    diagnosis counts for an exclusion, but never meets an inclusion). The tree passes a
    context per criterion (`for_criterion`); what is worked out once per evaluation
    (the merged exposures) is shared between them.
    """

    facts: Facts
    as_of: date
    serves: CriterionKind = "exclusion"
    shared: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def for_criterion(self, kind: CriterionKind) -> EvaluationContext:
        """The same facts and date for the parts of one criterion of `kind`."""
        return self if kind == self.serves else replace(self, serves=kind)

    def days_before(self, days: int) -> date:
        """D minus `days`: the first day of a look-back window (windows include both ends)."""
        return self.as_of - timedelta(days=days)

    @property
    def merged_exposures(self) -> list[Exposure]:
        """The exposures merged into runs per ingredient at D (`merge_exposures`), once for
        every medication criterion of the evaluation."""
        merged = self.shared.get("merged_exposures")
        if merged is None:
            merged = self.shared["merged_exposures"] = merge_exposures(self.facts.exposures, self.as_of)
        return merged
