"""Criterion results shared by patients with no input for a criterion
(cds/engine/shared_results.py) are exactly what evaluating the criterion afresh gives.

The shared result of a criterion is made by the first patient without input for it and
handed to every later one, so a `has_input` that says "no input" for a patient who has
some would show here as a difference on that patient. Run on every public bundle in
../shared/data/external/ (Synthea, US Core, the generated lupus patients) and the
benchmark's generated patients of 100 and 1,000 resources, at three dates, against every
configured trial.
"""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import orjson
import pytest

from bench.generate import generate_patient
from cds.engine.evaluate import CriterionResult, evaluate_criteria
from cds.engine.shared_results import SharedResults
from cds.trials.loader import load_trials
from cds.trials.schema import Trial
from fhir_mappings.facts import Facts, extract_facts
from fhir_mappings.record import PatientRecord, RecordError

DATES = (date(2026, 11, 25), date(2026, 6, 15), date(2024, 2, 29))


@pytest.fixture(scope="module")
def every_facts(external_data: Path) -> list[Facts]:
    records = []
    for path in sorted(external_data.glob("*/*.json.gz")):
        with gzip.open(path, "rb") as fh:
            try:
                records.append(PatientRecord.from_bundle(orjson.loads(fh.read())))
            except RecordError:  # the organisation and practitioner bundles hold no Patient
                continue
    for size, seed in ((100, 0), (1000, 1)):
        records.append(PatientRecord.from_entries([(None, r) for r in generate_patient(size, date(2026, 6, 15), seed)]))
    assert len(records) >= 124
    return [extract_facts(record) for record in records]


def _json(results: tuple[CriterionResult, ...]) -> list[dict]:
    return [r.to_json() for r in results]


def test_shared_results_equal_fresh_evaluation_for_every_patient(every_facts: list[Facts]) -> None:
    trials: list[Trial] = list(load_trials().values())
    shared: SharedResults[CriterionResult] = SharedResults()
    for as_of in DATES:
        for facts in every_facts:  # each criterion's shared result made by its first patient without input
            for trial in trials:
                evaluate_criteria(trial, facts, as_of, shared)
    differences = []
    reused = 0
    for as_of in DATES:
        for facts in every_facts:
            for trial in trials:
                with_shared = evaluate_criteria(trial, facts, as_of, shared)
                fresh = evaluate_criteria(trial, facts, as_of, None)
                reused += sum(a is b for a, b in zip(with_shared, evaluate_criteria(trial, facts, as_of, shared)))
                if _json(with_shared) != _json(fresh):
                    differences.append((facts.demographics.reference, trial.id, as_of.isoformat()))
    assert not differences
    assert reused > 10_000  # most criteria of most of these patients have no input


def test_patients_without_records_share_every_criterion_result() -> None:
    (trial, *_) = load_trials().values()
    shared: SharedResults[CriterionResult] = SharedResults()
    empty = [
        extract_facts(PatientRecord.from_entries([(None, {"resourceType": "Patient", "id": pid, "gender": "female"})]))
        for pid in ("a", "b")
    ]
    first, second = (evaluate_criteria(trial, facts, date(2026, 6, 15), shared) for facts in empty)
    assert all(a is b for a, b in zip(first, second))
    later = evaluate_criteria(trial, empty[0], date(2026, 6, 16), shared)
    assert not any(a is b for a, b in zip(first, later))  # another date D is worked out again
