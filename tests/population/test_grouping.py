"""Grouping per patient: every reference form, Medications found through the records that name
them, and the Observation lines that are not parsed changing nothing.

Each patient's evaluation is compared with the evaluation of a Bundle of the same resources
(what `trialcds evaluate` reads), which holds every resource: nothing filtered.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fhir_builders import bundle
from fhir_builders import observation as lab
from patients import (
    HYDROXYCHLOROQUINE,
    healthy_patient,
    lupus_patient,
    medication_resource,
    of_patient,
    referring_as,
    request_by_reference,
)
from screening import AS_OF, screen

from bench.bulk_export import EHR_BASE, resource_lines, write_export
from bench.generate import generate_patient
from cds.pipeline import evaluate_trial
from cds.population.routing import ReadPlan
from cds.trials.loader import load_trials
from fhir_mappings.record import PatientRecord

TRIAL = "nct05247203"


def _bundle_evaluation(resources: list[dict]) -> dict:
    record = PatientRecord.from_bundle(bundle(*resources))
    return evaluate_trial(record, load_trials()[TRIAL], date.fromisoformat(AS_OF)).to_json()


@pytest.mark.parametrize("form", ["Patient/{id}", EHR_BASE + "/Patient/{id}", "Patient/{id}/_history/3",
                                  "urn:uuid:{id}", "https://other.example.net/r4/Patient/{id}"])
def test_a_patient_reference_in_any_form_groups_the_resource_with_its_patient(form: str, tmp_path: Path) -> None:
    pid = "0c3e1d2a-6f0b-4f43-9b3e-3f1f5d1c2a10"
    resources = lupus_patient(pid)
    resources = [resources[0]] + [referring_as(r, form.format(id=pid)) for r in resources[1:]]
    write_export(resource_lines(resources), tmp_path / "export")
    result = screen(tmp_path / "export", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert result.by_patient()[f"Patient/{pid}"] == _bundle_evaluation(lupus_patient(pid))
    assert result.by_patient()[f"Patient/{pid}"]["decision"] == "potentially_eligible"


def test_a_medication_named_by_reference_is_read_with_each_patient_that_names_it(tmp_path: Path) -> None:
    """A Bulk export's Medication file has no patient: a patient's Medication is the one its
    MedicationRequest names (here two patients share it)."""
    hcq = medication_resource("hcq-200", *HYDROXYCHLOROQUINE)
    people = {}
    for pid in ("p1", "p2"):
        people[pid] = [r for r in lupus_patient(pid) if r["id"] != f"{pid}-mr-hcq"] + [request_by_reference(pid, "Medication/hcq-200")]
    write_export(resource_lines([hcq] + people["p1"] + people["p2"]), tmp_path / "export")
    result = screen(tmp_path / "export", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    for pid, resources in people.items():
        mine = result.by_patient()[f"Patient/{pid}"]
        assert mine == _bundle_evaluation(resources + [hcq])
        i6 = next(c for c in mine["criteria"] if c["id"] == "I6")
        assert i6["status"] == "met" and "Hydroxychloroquine" in i6["reason"] + str(i6["evidence"])
    assert result.summary()["shared_resources"] == 1


def test_a_medication_not_in_the_export_is_reported(tmp_path: Path) -> None:
    resources = [r for r in lupus_patient("p1") if r["id"] != "p1-mr-hcq"] + [request_by_reference("p1", "Medication/gone")]
    write_export(resource_lines(resources), tmp_path / "export")
    result = screen(tmp_path / "export", tmp_path / "out")
    assert result.exit_code == 1
    assert "Medication/gone is named by records of 1 patient(s) but is not in the export" in [
        p["problem"] for p in result.csv("input_problems.csv")]
    assert result.by_patient()["Patient/p1"] == _bundle_evaluation(resources)


def test_observations_no_criterion_reads_are_not_parsed_and_change_nothing(tmp_path: Path) -> None:
    """Three generated long-record lupus patients (bench/generate.py): most of their labs are
    codes no criterion reads. Screening them equals evaluating every resource."""
    people = []
    for seed in range(3):
        resources = generate_patient(300, date.fromisoformat(AS_OF), seed=seed)
        pid = f"gen-{seed}"
        people.append([of_patient(r, pid) if r["resourceType"] != "Patient" else {**r, "id": pid} for r in resources])
    write_export(resource_lines([r for p in people for r in p]), tmp_path / "export")
    result = screen(tmp_path / "export", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert result.summary()["observations_skipped_by_code"] > 300
    for resources in people:
        full = evaluate_trial(PatientRecord.from_resources(resources), load_trials()[TRIAL], date.fromisoformat(AS_OF)).to_json()
        assert result.by_patient()[full["patient"]] == full


def _line(resource: dict) -> bytes:
    return resource_lines([resource])[0][1]


@pytest.fixture(scope="module")
def plan() -> ReadPlan:
    return ReadPlan.for_trials(load_trials().values())


def test_the_byte_test_skips_only_whole_observations_without_a_code_any_criterion_reads(plan: ReadPlan) -> None:
    pulse = lab("8867-4", 72, "/min", category="vital-signs")
    hemoglobin = lab("718-7", 13.1, "g/dL")
    assert not plan.observation_may_matter(_line(pulse))
    assert plan.observation_may_matter(_line(hemoglobin))
    # A code the criteria read in a component (a panel sends results as components).
    panel = {**pulse, "component": [{"code": hemoglobin["code"], "valueQuantity": hemoglobin["valueQuantity"]}]}
    assert plan.observation_may_matter(_line(panel))
    # Padded with spaces (the engine strips codes), escaped, pretty-printed, or cut short: parsed.
    padded = _line(hemoglobin).replace(b'"code":"718-7"', b'"code":" 718-7 "')
    assert plan.observation_may_matter(padded)
    assert plan.observation_may_matter(_line(pulse).replace(b'"code":"8867-4"', b'"code":"\\u0037\\u0031\\u0038-7"'))
    assert plan.observation_may_matter(_line(pulse).replace(b'"resourceType":"Observation"', b'"resourceType": "Observation"'))
    assert plan.observation_may_matter(_line(pulse)[:-10])


def test_healthy_patients_are_evaluated_in_full(tmp_path: Path) -> None:
    people = [r for n in range(5) for r in healthy_patient(f"h{n}")]
    write_export(resource_lines(people), tmp_path / "export")
    result = screen(tmp_path / "export", tmp_path / "out", "--workers", "2")
    for n in range(5):
        assert result.by_patient()[f"Patient/h{n}"] == _bundle_evaluation(healthy_patient(f"h{n}"))
