"""record -> facts -> criterion results: the one path the CLI, the service, the worksheet
and population screening share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from cds.engine.evaluate import TrialResult, evaluate_trial_facts
from cds.trials.schema import Trial
from fhir_mappings.facts import Facts, extract_facts
from fhir_mappings.record import PatientRecord


def evaluate_trial(record: PatientRecord, trial: Trial, as_of: date) -> TrialResult:
    """Evaluate one patient against one trial at date `as_of`."""
    return evaluate_trials(record, (trial,), as_of)[0]


def evaluate_trials(record: PatientRecord, trials: Sequence[Trial], as_of: date) -> list[TrialResult]:
    """Evaluate one patient against several trials, in the order given.

    Facts are extracted once and shared by every trial that reads the same site-local
    codes (the usual case: none); a trial that names its own local codes gets facts read
    with them, so one trial's local score code never answers another trial's criterion.
    """
    facts_by_locals: dict[tuple[tuple[str, tuple[tuple[str, str], ...]], ...], Facts] = {}
    results = []
    for trial in trials:
        key = tuple(sorted(trial.local_analytes.items()))
        facts = facts_by_locals.get(key)
        if facts is None:
            facts = facts_by_locals[key] = extract_facts(record, trial.local_analytes)
        results.append(evaluate_trial_facts(trial, facts, as_of, f"Patient/{record.patient_id}"))
    return results
