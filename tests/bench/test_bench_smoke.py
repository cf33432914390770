"""The benchmark's patient generator: valid FHIR R4, the size asked for, and a record the engine evaluates.

Only generation and one evaluation run here; the timed benchmark stays out of the test suite.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from fhir.resources.R4B import get_fhir_model_class

from bench.generate import generate_patient, prefetch_for
from cds.pipeline import evaluate_trials
from cds.record.templates import load_templates
from cds.trials.loader import load_trials
from fhir_mappings.record import PatientRecord

AS_OF = date(2026, 6, 15)


@pytest.fixture(scope="module")
def patient() -> list[dict]:
    """A generated 100-resource patient."""
    return generate_patient(100, AS_OF)


def test_generates_exactly_the_size_asked_for_with_one_patient(patient: list[dict]) -> None:
    kinds = Counter(r["resourceType"] for r in patient)
    assert len(patient) == 100
    assert kinds["Patient"] == 1
    assert kinds["Observation"] > sum(n for kind, n in kinds.items() if kind != "Observation")
    assert {"Condition", "MedicationRequest", "Procedure", "Immunization"} <= kinds.keys()
    assert len({(r["resourceType"], r["id"]) for r in patient}) == len(patient)


def test_every_generated_resource_is_valid_fhir_r4(patient: list[dict]) -> None:
    for resource in patient:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def test_generation_is_deterministic() -> None:
    assert generate_patient(100, AS_OF, seed=3) == generate_patient(100, AS_OF, seed=3)
    assert generate_patient(100, AS_OF, seed=3) != generate_patient(100, AS_OF, seed=4)


def test_full_prefetch_carries_every_resource_the_criteria_read(patient: list[dict]) -> None:
    """The published templates ask for the Observations the configured trials' criteria read;
    the full prefetch carries exactly those, and evaluates as the whole record does."""
    trials = load_trials()
    read_codes_of_all = frozenset().union(*(t.observation_codes for t in trials.values()))
    templates = load_templates(read_codes_of_all)
    prefetch = prefetch_for(templates, patient)
    carried = [prefetch["patient"]] + [
        entry["resource"] for value in prefetch.values() if value["resourceType"] == "Bundle" for entry in value["entry"]
    ]
    read_codes = {f"{system}|{code}" for system, code in read_codes_of_all}
    observations = [r for r in patient if r["resourceType"] == "Observation"]
    wanted = [r for r in observations if any(f"{c['system']}|{c['code']}" in read_codes for c in r["code"]["coding"])]
    assert 0 < len(wanted) < len(observations)
    expected = [r for r in patient if r["resourceType"] != "Observation"] + wanted
    assert {(r["resourceType"], r["id"]) for r in carried} == {(r["resourceType"], r["id"]) for r in expected}
    every = [trials[key] for key in sorted(trials)]
    whole = [r.to_json() for r in evaluate_trials(PatientRecord.from_resources(patient), every, AS_OF)]
    assert [r.to_json() for r in evaluate_trials(PatientRecord.from_resources(carried), every, AS_OF)] == whole


def test_templates_without_a_code_filter_carry_every_resource(patient: list[dict]) -> None:
    prefetch = prefetch_for(load_templates(), patient)
    carried = [prefetch["patient"]] + [
        entry["resource"] for value in prefetch.values() if value["resourceType"] == "Bundle" for entry in value["entry"]
    ]
    assert {(r["resourceType"], r["id"]) for r in carried} == {(r["resourceType"], r["id"]) for r in patient}


def test_the_generated_patient_evaluates_with_her_sle_and_labs_decided(patient: list[dict]) -> None:
    trial = load_trials()["nct05247203"]
    result = evaluate_trials(PatientRecord.from_resources(patient), [trial], AS_OF)[0].to_json()
    status = {c["id"]: c["status"] for c in result["criteria"]}
    assert status["I2"] == "met"
    assert status["I3"] == "met"
    assert status["I5"] == "met"
    assert {status[c] for c in ("E3.1", "E3.3", "E3.4", "E3.5")} == {"not_met"}
