"""`manual`: parts only a person can decide (consent, investigator opinion)."""

from __future__ import annotations

from cds.engine.context import EvaluationContext
from cds.engine.kinds import inputs
from cds.engine.kinds.registry import Params, kind
from cds.engine.logic import Tri
from cds.engine.outcome import Outcome


class ManualParams(Params):
    """What the study team confirms at screening."""

    confirm: str


@kind("manual", ManualParams, reads=(), has_input=inputs.never)
def manual(params: ManualParams, ctx: EvaluationContext) -> Outcome:
    """Always unknown: never guessed from data."""
    return Outcome(Tri.UNKNOWN, f"confirm at screening: {params.confirm}")
