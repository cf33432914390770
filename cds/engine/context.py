"""What every evaluator receives: the patient's facts and the evaluation date D."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from fhir_mappings.facts import Facts
from fhir_mappings.medications import Exposure, merge_exposures


@dataclass(frozen=True)
class EvaluationContext:
    """Facts plus `as_of` (D). Evaluators never read the clock."""

    facts: Facts
    as_of: date

    def days_before(self, days: int) -> date:
        """D minus `days`: the first day of a look-back window (windows include both ends)."""
        return self.as_of - timedelta(days=days)

    @cached_property
    def merged_exposures(self) -> list[Exposure]:
        """The exposures merged into runs per ingredient at D (`merge_exposures`), once for
        every medication criterion of the evaluation."""
        return merge_exposures(self.facts.exposures, self.as_of)
