"""Small trials written in the test, loaded through the real trial loader.

A kind-level test writes the criteria it needs as YAML (the shape a trial file has),
the loader validates their parameters exactly as at start-up, and the patient is
evaluated through the pipeline; the test reads the criterion's entry of the evaluation
JSON (`trialcds evaluate --format json`).
"""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from fhir_builders import AS_OF, Resource, bundle

from cds.pipeline import evaluate_trial
from cds.trials.loader import load_trial
from cds.trials.schema import Trial
from fhir_mappings.record import PatientRecord

_files = itertools.count(1)


def criterion(cid: str, logic: dict[str, Any], kind: str = "exclusion", label: str | None = None) -> dict[str, Any]:
    """One criterion of a trial file: id, kind, label, statement, source and logic."""
    return {
        "id": cid,
        "kind": kind,
        "label": label or f"criterion {cid}",
        "statement": f"statement of {cid}",
        "source": f"source sentence of {cid}",
        "logic": logic,
    }


def write_trial(folder: Path, *criteria: dict[str, Any], local_analytes: dict[str, Any] | None = None) -> Path:
    """A trial file holding `criteria`, written into `folder`; its path."""
    number = next(_files)
    data = {
        "id": f"kinds{number}",
        "nct_id": "NCT00000000",
        "title": "Kind test trial",
        "short_title": "kind test",
        "sponsor": "test",
        "url": "https://example.org/trial",
        "eligibility_text": "test",
        "local_analytes": local_analytes or {},
        "criteria": list(criteria),
    }
    path = folder / f"kinds{number}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def trial_of(folder: Path, *criteria: dict[str, Any], local_analytes: dict[str, Any] | None = None) -> Trial:
    """The trial of `criteria`, loaded as the service loads a trial file."""
    return load_trial(write_trial(folder, *criteria, local_analytes=local_analytes))


def run(trial: Trial, *resources: Resource, as_of: date = AS_OF, uuid_full_urls: bool = False) -> dict[str, dict[str, Any]]:
    """Each criterion's entry of the evaluation JSON, by id, for a patient made of `resources`."""
    built = bundle(*resources)
    if uuid_full_urls:  # as Synthea's transaction Bundles send them
        for entry in built["entry"]:
            entry["fullUrl"] = f"urn:uuid:{entry['resource']['id']}"
    record = PatientRecord.from_bundle(built)
    result = evaluate_trial(record, trial, as_of).to_json()
    return {c["id"]: c for c in result["criteria"]}


class KindProbe:
    """One criterion of one logic, evaluated for patients: `probe(*resources)` gives its entry."""

    def __init__(self, folder: Path, logic: dict[str, Any], kind: str = "exclusion", **extra: Any) -> None:
        self.trial = trial_of(folder, criterion("C1", logic, kind), **extra)

    def __call__(self, *resources: Resource, as_of: date = AS_OF, uuid_full_urls: bool = False) -> dict[str, Any]:
        return run(self.trial, *resources, as_of=as_of, uuid_full_urls=uuid_full_urls)["C1"]
