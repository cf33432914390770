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

from datetime import date, timedelta
from pathlib import Path

import fhir_builders as fb
import pytest
from ehr_shapes import synthea_encounter
from external_bundles import patient_records
from fhir_builders import AS_OF, Resource

from bench.generate import generate_patient
from cds.engine.evaluate import CriterionResult, evaluate_criteria
from cds.engine.shared_results import SharedResults
from cds.trials.loader import load_trials
from cds.trials.schema import Trial
from fhir_mappings.facts import Facts, extract_facts
from fhir_mappings.drugs import drug_catalog
from fhir_mappings.labs import analytes
from fhir_mappings.codes import ACT_CODE
from fhir_mappings.record import PatientRecord
from fhir_mappings.terminology import Coding, ValueSet, coded_valuesets

DATES = (date(2026, 11, 25), date(2026, 6, 15), date(2024, 2, 29))


@pytest.fixture(scope="module")
def every_facts(external_data: Path) -> list[Facts]:
    records = [record for _, record in patient_records(external_data)]
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


def _first_code(valueset: ValueSet) -> tuple[str, str]:
    """A (system, code) the value set holds: its first exact code, else the start of its first
    prefix or range."""
    for system, code in sorted(valueset.exact):
        if valueset.contains(Coding(system, code)):
            return system, code
    rule = valueset.rules[0]
    return rule.system, rule.low


def _coded_record(valueset: ValueSet) -> Resource:
    """One record of the value set's family, dated 20 days before D, as an EHR sends it."""
    system, code = _first_code(valueset)
    on = AS_OF - timedelta(days=20)
    family = valueset.origin
    if family == "conditions.yaml":
        return fb.condition(system, code, onset=on)
    if family == "procedures.yaml":
        return fb.procedure(system, code, on)
    if family == "immunizations.yaml":
        return fb.immunization(code, on) | {"vaccineCode": fb.concept(system, code)}
    assert family == "encounters.yaml", family
    if system == ACT_CODE:  # an encounter class value set
        return synthea_encounter(on, on, klass=code)
    return synthea_encounter(on, on, type_code=(code, "Hospital admission"))


def _single_record_patients() -> list[tuple[str, Facts]]:
    """A patient per coded value set, drug group (an order, and an allergy) and coded analyte,
    each with that one record; and a patient with no birth date."""
    on = AS_OF - timedelta(days=20)
    records: list[tuple[str, list[Resource]]] = [("no birth date", [fb.patient(birth_date=None)])]
    records += [(f"value set {name}", [fb.patient(), _coded_record(vs)]) for name, vs in sorted(coded_valuesets().items())]
    for group, members in sorted(drug_catalog().groups.items()):
        drug = sorted(members)[0]
        records.append((f"drug group {group} ({drug})", [fb.patient(), fb.medication_request(fb.medication(text=drug), on)]))
        records.append((f"allergy to {group} ({drug})", [fb.patient(), fb.allergy(fb.medication(text=drug))]))
    for name, analyte in sorted(analytes().items()):
        for system, code in sorted(analyte.codes)[:1]:
            result = fb.observation(code, value_string="positive", on=on) | {"code": {"coding": [{"system": system, "code": code}]}}
            records.append((f"analyte {name}", [fb.patient(), result]))
    return [(what, extract_facts(PatientRecord.from_resources(resources))) for what, resources in records]


def test_a_patient_with_one_record_a_part_reads_is_never_given_the_shared_result() -> None:
    """Every value set, drug group and analyte the trials' parts may read, one patient each:
    a `has_input` that forgets a value set, a group or an analyte of its part (an unknown
    tier, a chronic list, an unclassified class) hands such a patient the result of patients
    without input, and shows here."""
    trials: list[Trial] = list(load_trials().values())
    shared: SharedResults[CriterionResult] = SharedResults()
    empty = extract_facts(PatientRecord.from_resources([fb.patient()]))
    patients = _single_record_patients()
    for facts in [empty, *(facts for _, facts in patients)]:
        for trial in trials:
            evaluate_criteria(trial, facts, AS_OF, shared)
    differences = [
        (what, trial.id, fresh.criterion.id)
        for what, facts in patients
        for trial in trials
        for got, fresh in zip(evaluate_criteria(trial, facts, AS_OF, shared), evaluate_criteria(trial, facts, AS_OF, None))
        if got.to_json() != fresh.to_json()
    ]
    assert len(patients) > 200
    assert not differences
