"""Attrition per trial, counted from the evaluation JSON alone.

For each criterion in the trial file's order: how many patients it is met / not_met / unknown
for, and the funnel: how many patients are still potentially eligible after it and every
criterion before it (none of them blocks: no inclusion not_met, no exclusion met). The last
step is the decision itself, which also applies the ground rules that no criterion carries
(a deceased patient is ineligible).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cds.trials.schema import Trial

STATUSES = ("met", "not_met", "unknown")
POTENTIALLY_ELIGIBLE = "potentially_eligible"
CSV_COLUMNS = ("trial", "step", "criterion", "kind", "label", "met", "not_met", "unknown", "removed", "remaining")


def blocks(criterion: dict[str, Any]) -> bool:
    """Whether a criterion entry of an evaluation makes the patient ineligible."""
    wanted = "not_met" if criterion["kind"] == "inclusion" else "met"
    return criterion["status"] == wanted


@dataclass
class TrialAttrition:
    """The counts of one trial."""

    trial: Trial
    evaluated: int = 0
    potentially_eligible: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    remaining: dict[str, int] = field(default_factory=dict)

    def add(self, evaluation: dict[str, Any]) -> None:
        """Count one patient's evaluation of this trial."""
        self.evaluated += 1
        still_eligible = True
        for criterion in evaluation["criteria"]:
            cid = criterion["id"]
            counts = self.counts.setdefault(cid, dict.fromkeys(STATUSES, 0))
            counts[criterion["status"]] += 1
            if still_eligible and blocks(criterion):
                still_eligible = False
            if still_eligible:
                self.remaining[cid] = self.remaining.get(cid, 0) + 1
        if evaluation["decision"] == POTENTIALLY_ELIGIBLE:
            self.potentially_eligible += 1

    def funnel(self, not_evaluated: int) -> list[dict[str, Any]]:
        """The attrition rows: the export, those evaluated, each criterion in turn, the decision."""
        total = self.evaluated + not_evaluated
        rows = [
            _row(self.trial, 0, "", "", "patients in the export", None, 0, total),
            _row(self.trial, 1, "not_evaluated", "", "could not be evaluated (not_evaluated.csv)", None, not_evaluated, self.evaluated),
        ]
        before = self.evaluated
        for step, criterion in enumerate(self.trial.criteria, start=2):
            now = self.remaining.get(criterion.id, 0)
            counts = self.counts.get(criterion.id, dict.fromkeys(STATUSES, 0))
            rows.append(_row(self.trial, step, criterion.id, criterion.kind, criterion.label, counts, before - now, now))
            before = now
        rows.append(_row(self.trial, len(rows), "decision", "", "potentially eligible (decision, with the ground rules)",
                         None, before - self.potentially_eligible, self.potentially_eligible))
        return rows


def _row(trial: Trial, step: int, criterion: str, kind: str, label: str, counts: dict[str, int] | None,
         removed: int, remaining: int) -> dict[str, Any]:
    counts = counts or {}
    return {"trial": trial.id, "step": step, "criterion": criterion, "kind": kind, "label": label,
            **{s: counts.get(s, "") for s in STATUSES}, "removed": removed, "remaining": remaining}
