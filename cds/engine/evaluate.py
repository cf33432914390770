"""Evaluate every criterion of a trial, then the decision and `eligible_from`.

A patient the record says has died is not a candidate (ground rules, "Patient
deceased"): decision `ineligible`, `eligible_from` null and `not_candidate_reason`
"deceased", with every criterion still evaluated and shown.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from datetime import date
from typing import Any

from cds.engine.context import EvaluationContext
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence
from cds.engine.shared_results import SharedResults
from cds.engine.tree import evaluate_node
from cds.trials.schema import Criterion, Trial
from fhir_mappings.facts import Facts
from fhir_mappings.immutable import immutable
from fhir_mappings.medications import UnidentifiedMedication
from fhir_mappings.record import MissingData

POTENTIALLY_ELIGIBLE = "potentially_eligible"
INELIGIBLE = "ineligible"
DECEASED = "deceased"


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


# Criterion results shared by every patient with no input for them, per process.
SHARED: SharedResults[CriterionResult] = SharedResults()


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
    not_candidate_reason: str | None = None
    unidentified_medications: tuple[UnidentifiedMedication, ...] = ()
    # Resource types the record lacked (a fetch that failed): their criteria are unknown, never not_met.
    missing_data: tuple[MissingData, ...] = ()

    @property
    def decision(self) -> str:
        """Ineligible if the patient is not a candidate at all (deceased), or if any
        inclusion is not met or any exclusion is met."""
        if self.not_candidate_reason is not None or any(c.blocks for c in self.criteria):
            return INELIGIBLE
        return POTENTIALLY_ELIGIBLE

    @property
    def eligible_from(self) -> date | None:
        """When only time-limited criteria block: the latest date they clear; else None
        (and always None for a patient who is not a candidate at all)."""
        if self.not_candidate_reason is not None:
            return None
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
            "not_candidate_reason": self.not_candidate_reason,
            "criteria": [c.to_json() for c in self.criteria],
            "unidentified_medications": [m.to_json() for m in self.unidentified_medications],
            "missing_data": [gap.to_json() for gap in self.missing_data],
        }


def not_candidate_reason(facts: Facts, as_of: date) -> str | None:
    """Why the patient is no candidate for any trial whatever the criteria say: "deceased"
    (deceasedBoolean true, or a deceasedDateTime that may be on or before D); else None."""
    return DECEASED if facts.demographics.dead_at(as_of) else None


def evaluate_trial_facts(trial: Trial, facts: Facts, as_of: date, patient_reference: str) -> TrialResult:
    """The trial's verdict for the patient whose facts these are."""
    criteria = evaluate_criteria(trial, facts, as_of)
    return TrialResult(
        trial,
        patient_reference,
        as_of,
        criteria,
        not_candidate_reason(facts, as_of),
        facts.unidentified_medications,
        facts.missing_data,
    )


def evaluate_criteria(
    trial: Trial, facts: Facts, as_of: date, shared: SharedResults[CriterionResult] | None = SHARED
) -> tuple[CriterionResult, ...]:
    """Every criterion, in the trial file's order.

    Each criterion's tree is evaluated with a context that says whether it is an
    inclusion or an exclusion (`EvaluationContext.serves`). A criterion the patient has no
    input for is taken from `shared` (cds/engine/shared_results.py); None evaluates every
    criterion afresh.
    """
    ctx = EvaluationContext(facts, as_of)
    serving = {kind: ctx.for_criterion(kind) for kind in ("inclusion", "exclusion")}
    results = []
    for criterion in trial.criteria:
        here = serving[criterion.kind]
        compute = partial(evaluate_criterion, criterion, here)
        results.append(compute() if shared is None else shared.result(criterion, here, compute))
    return tuple(results)


def evaluate_criterion(criterion: Criterion, ctx: EvaluationContext) -> CriterionResult:
    """One criterion's result. `clears_on` is kept only where it means something for the
    decision: on a met exclusion (when it clears) and on a not-met inclusion (when it
    becomes met)."""
    outcome = evaluate_node(criterion.logic, ctx)
    result = CriterionResult(criterion, outcome.status, outcome.reason, outcome.evidence, outcome.clears_on)
    return result if result.blocks or result.clears_on is None else replace(result, clears_on=None)
