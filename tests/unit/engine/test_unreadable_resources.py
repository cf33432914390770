"""A resource whose JSON the engine cannot read never aborts the evaluation and never
counts as "no record": the criteria that read its type become unknown, naming it."""

from __future__ import annotations

from fhir_builders import condition, days_before, immunization, observation
from trial_eval import criterion, evaluate

HEMOGLOBIN = "718-7"


def test_a_condition_with_a_malformed_code_makes_condition_criteria_unknown_not_not_met() -> None:
    broken = condition("snomed", "35489007", onset="2020-01-01", id="broken")
    broken["code"] = {"coding": True}
    result = evaluate(broken)
    e15 = criterion(result, "E15")
    assert e15["status"] == "unknown"
    assert "Condition/broken" in e15["reason"]
    assert criterion(result, "E14")["status"] == "unknown"
    # Criteria that do not read Conditions are untouched.
    assert criterion(result, "E8")["status"] == "not_met"


def test_a_malformed_resource_does_not_hide_a_readable_exclusion() -> None:
    broken = condition("snomed", "35489007", onset="2020-01-01", id="broken")
    broken["clinicalStatus"] = "active"  # a string where FHIR has a CodeableConcept
    depression = condition("snomed", "35489007", onset="2020-01-01", id="readable")
    result = evaluate(broken, depression)
    assert criterion(result, "E15")["status"] == "met"
    assert result["decision"] == "ineligible"


def test_an_observation_with_a_list_as_status_makes_lab_criteria_unknown() -> None:
    normal = observation(HEMOGLOBIN, 13.2, "g/dL", on=days_before(20))
    broken = observation(HEMOGLOBIN, 7.0, "g/dL", on=days_before(5), id="broken-hb")
    broken["status"] = ["final"]
    e34 = criterion(evaluate(normal, broken), "E3.4")
    assert e34["status"] == "unknown"
    assert "Observation/broken-hb" in e34["reason"]


def test_an_immunization_with_a_malformed_vaccine_code_keeps_e8_open() -> None:
    broken = immunization("121", on=days_before(5), id="broken-vaccine")
    broken["vaccineCode"] = ["121"]
    e8 = criterion(evaluate(broken), "E8")
    assert e8["status"] == "unknown"
    assert "Immunization/broken-vaccine" in e8["reason"]


def test_a_result_whose_value_cannot_be_read_makes_the_lab_part_unknown() -> None:
    broken = observation(HEMOGLOBIN, 7.0, "g/dL", on=days_before(5), id="broken-value")
    broken["valueQuantity"] = [7.0]  # a list where FHIR has a Quantity
    e34 = criterion(evaluate(broken), "E3.4")
    assert e34["status"] == "unknown"
    assert "Observation/broken-value could not be read" in e34["reason"]


def test_an_unreadable_ana_keeps_i5_open_beside_negative_results() -> None:
    negative = observation("8061-4", interpretation="NEG", on="2021-01-01")
    broken = observation("8061-4", interpretation="POS", on="2022-01-01", id="broken-ana")
    broken["interpretation"] = {"coding": "POS"}  # an object where FHIR has a list
    i5 = criterion(evaluate(negative, broken), "I5")
    assert i5["status"] == "unknown"
    assert "Observation/broken-ana" in i5["reason"]
