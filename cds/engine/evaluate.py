"""Evaluate every criterion of a trial, then the decision and `eligible_from`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from cds.engine.context import EvaluationContext
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence
from cds.engine.tree import evaluate_node
from cds.trials.schema import Criterion, Trial
from fhir_mappings.facts import Facts
from fhir_mappings.immutable import immutable
from fhir_mappings.medications import UnidentifiedMedication

POTENTIALLY_ELIGIBLE = "potentially_eligible"
INELIGIBLE = "ineligible"


@immutable
class CriterionResult:
    """One criterion's verdict for one patient."""

    criterion: Criterion
    status: Tri
    reason: str
    evidence: tuple[Evidence, ...]
    clears_on: date | None

    @property
    def blocks(self) -> bool:
        """Whether it makes the patient ineligible (inclusion not met, exclusion met)."""
        wanted = Tri.NOT_MET if self.criterion.kind == "inclusion" else Tri.MET
        return self.status is wanted

    def to_json(self) -> dict[str, Any]:
        """The criterion entry of the evaluation JSON."""
        return {
            "id": self.criterion.id,
            "kind": self.criterion.kind,
            "label": self.criterion.label,
            "status": self.status.value,
            "manual": self.criterion.manual,
            "reason": self.reason,
            "clears_on": self.clears_on.isoformat() if self.clears_on else None,
            "evidence": [e.to_json() for e in self.evidence],
        }


@dataclass(frozen=True)
class TrialResult:
    """A trial's verdict for one patient at one date.

    `unidentified_medications`: the patient's medication records whose drug no code or
    name identified; they match no drug criterion, so the coordinator checks them.
    """

    trial: Trial
    patient_reference: str
    as_of: date
    criteria: tuple[CriterionResult, ...]
    unidentified_medications: tuple[UnidentifiedMedication, ...] = ()

    @property
    def decision(self) -> str:
        """Ineligible if any inclusion is not met or any exclusion is met."""
        return INELIGIBLE if any(c.blocks for c in self.criteria) else POTENTIALLY_ELIGIBLE

    @property
    def eligible_from(self) -> date | None:
        """When only time-limited criteria block: the latest date they clear; else None."""
        blocking = [c for c in self.criteria if c.blocks]
        if not blocking or any(c.clears_on is None for c in blocking):
            return None
        return max(c.clears_on for c in blocking if c.clears_on)

    @property
    def to_confirm(self) -> tuple[CriterionResult, ...]:
        """The unknown criteria: what the study team confirms at screening."""
        return tuple(c for c in self.criteria if c.status is Tri.UNKNOWN)

    def to_json(self) -> dict[str, Any]:
        """The evaluation JSON printed by `trialcds evaluate --format json`."""
        eligible_from = self.eligible_from
        return {
            "trial": self.trial.id,
            "patient": self.patient_reference,
            "as_of": self.as_of.isoformat(),
            "decision": self.decision,
            "eligible_from": eligible_from.isoformat() if eligible_from else None,
            "criteria": [c.to_json() for c in self.criteria],
            "unidentified_medications": [m.to_json() for m in self.unidentified_medications],
        }


def evaluate_criteria(trial: Trial, facts: Facts, as_of: date) -> tuple[CriterionResult, ...]:
    """Every criterion, in the trial file's order.

    `clears_on` is kept only where it means something for the decision: on a met
    exclusion (when it clears) and on a not-met inclusion (when it becomes met).
    """
    ctx = EvaluationContext(facts, as_of)
    results = []
    for criterion in trial.criteria:
        outcome = evaluate_node(criterion.logic, ctx)
        result = CriterionResult(criterion, outcome.status, outcome.reason, outcome.evidence, outcome.clears_on)
        keep = result.blocks or result.clears_on is None
        results.append(result if keep else replace(result, clears_on=None))
    return tuple(results)
