"""What every evaluator receives: the patient's facts and the evaluation date D."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from fhir_mappings.facts import Facts


@dataclass(frozen=True)
class EvaluationContext:
    """Facts plus `as_of` (D). Evaluators never read the clock."""

    facts: Facts
    as_of: date

    def days_before(self, days: int) -> date:
        """D minus `days`: the first day of a look-back window (windows include both ends)."""
        return self.as_of - timedelta(days=days)
