"""Evaluate builder-made patients against the NCT05247203 trial file, in process.

Tests read the evaluation JSON (the CLI's `--format json` shape), so they assert what a
user of `trialcds evaluate` sees, not engine internals.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from fhir_builders import AS_OF, Resource, bundle

from cds.pipeline import evaluate_trial
from cds.trials.loader import load_trials
from cds.trials.schema import Trial
from fhir_mappings.record import PatientRecord

TRIAL_ID = "nct05247203"


@cache
def nct05247203() -> Trial:
    """The bundled trial file, loaded once."""
    return load_trials()[TRIAL_ID]


def evaluate(*resources: Resource, as_of: date = AS_OF, trial: Trial | None = None, uuid_full_urls: bool = False) -> dict[str, Any]:
    """The evaluation JSON for one patient made of `resources` (a default Patient is added);
    `uuid_full_urls` sends them as Synthea does, under `urn:uuid:` fullUrls."""
    record = PatientRecord.from_bundle(bundle(*resources, uuid_full_urls=uuid_full_urls))
    return evaluate_trial(record, trial or nct05247203(), as_of).to_json()


def criterion(result: dict[str, Any], criterion_id: str) -> dict[str, Any]:
    """One criterion entry of an evaluation JSON."""
    (found,) = [c for c in result["criteria"] if c["id"] == criterion_id]
    return found


def status_of(criterion_id: str, *resources: Resource, as_of: date = AS_OF) -> str:
    """The status of one criterion for a patient made of `resources`."""
    return criterion(evaluate(*resources, as_of=as_of), criterion_id)["status"]


def evidence_codes(entry: dict[str, Any]) -> set[str]:
    """The `system|code` tokens of a criterion's evidence."""
    return {e["code"] for e in entry["evidence"]}
