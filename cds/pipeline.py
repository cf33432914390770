"""record -> facts -> criterion results: the one path the CLI and the service share."""

from __future__ import annotations

from datetime import date

from cds.engine.evaluate import TrialResult, evaluate_criteria
from cds.trials.schema import Trial
from fhir_mappings.facts import extract_facts
from fhir_mappings.record import PatientRecord


def evaluate_trial(record: PatientRecord, trial: Trial, as_of: date) -> TrialResult:
    """Evaluate one patient against one trial at date `as_of`."""
    facts = extract_facts(record, trial.local_analytes)
    criteria = evaluate_criteria(trial, facts, as_of)
    return TrialResult(trial, f"Patient/{record.patient_id}", as_of, criteria, facts.unidentified_medications)
