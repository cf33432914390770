"""A resource type the record lacks because it could not be had (`PatientRecord.missing`,
issue 11) is read like an unreadable resource: every criterion that reads it and would be
not_met is unknown, naming what is missing; the evaluation JSON lists it in `missing_data`."""

from __future__ import annotations

from dataclasses import replace

from fhir_builders import AS_OF, bundle, condition, days_before, observation
from trial_eval import criterion, nct05247203

from cds.pipeline import evaluate_trial
from fhir_mappings.record import MissingData, PatientRecord

CONDITIONS_TIMED_OUT = MissingData("conditions", "Condition", "the FHIR server did not answer within 4 s")


def evaluate_without(gap: MissingData, *resources: dict) -> dict:
    """The evaluation JSON of a patient made of `resources` whose record lacks `gap`."""
    record = replace(PatientRecord.from_bundle(bundle(*resources)), missing=(gap,))
    return evaluate_trial(record, nct05247203(), AS_OF).to_json()


def test_a_missing_type_turns_would_be_not_met_into_unknown_naming_why() -> None:
    result = evaluate_without(CONDITIONS_TIMED_OUT)
    e2 = criterion(result, "E2")
    assert e2["status"] == "unknown"
    assert (
        "could not read the Condition resources (prefetch 'conditions': the FHIR server did not answer within 4 s)"
        in e2["reason"]
    )
    assert result["missing_data"] == [
        {"key": "conditions", "resource_type": "Condition", "reason": "the FHIR server did not answer within 4 s"}
    ]
    # Criteria that read no Condition are decided as with a complete record.
    assert criterion(result, "E8")["status"] == "not_met"


def test_a_computable_exclusion_from_the_types_that_were_had_still_excludes() -> None:
    hemoglobin_low = observation("718-7", 7.0, "g/dL", on=days_before(5))
    result = evaluate_without(CONDITIONS_TIMED_OUT, hemoglobin_low)
    assert criterion(result, "E3.4")["status"] == "met"
    assert result["decision"] == "ineligible"


def test_a_complete_record_has_an_empty_missing_data_list() -> None:
    record = PatientRecord.from_bundle(bundle(condition("snomed", "55464009", onset="2019-01-01")))
    assert evaluate_trial(record, nct05247203(), AS_OF).to_json()["missing_data"] == []
