"""I1, I2, I4, E9, E16: age at D, the SELENA-SLEDAI score, and the manual criteria."""

from __future__ import annotations

import dataclasses

import pytest
from fhir_builders import AS_OF, days_before, observation, patient
from trial_eval import criterion, evaluate, nct05247203, status_of

LOCAL_SCORES = "https://ehr.example.org/fhir/CodeSystem/local-scores"


@pytest.mark.parametrize(
    ("birth_date", "expected"),
    [
        ("2008-11-25", "met"),  # 18th birthday on D
        ("2008-11-26", "not_met"),  # 17 until tomorrow
        ("1961-11-26", "met"),  # 65, turns 66 tomorrow
        ("1960-11-25", "not_met"),  # 66th birthday on D
        ("1940-09-05", "not_met"),
        ("1990-02-28", "met"),
    ],
)
def test_i2_age_18_to_65_inclusive_in_completed_years(birth_date: str, expected: str) -> None:
    assert status_of("I2", patient(birth_date=birth_date)) == expected


def test_i2_no_birth_date_is_unknown() -> None:
    assert status_of("I2", patient(birth_date=None)) == "unknown"


def test_i2_birth_year_that_straddles_a_bound_is_unknown() -> None:
    """Born in 1960: 65 or 66 at D depending on the day."""
    assert status_of("I2", patient(birth_date="1960")) == "unknown"
    assert status_of("I2", patient(birth_date="1980")) == "met"


@pytest.mark.parametrize("cid", ["I1", "E9", "E16"])
def test_manual_criteria_are_unknown_and_confirmed_at_screening(cid: str) -> None:
    entry = criterion(evaluate(), cid)
    assert entry["status"] == "unknown"
    assert entry["manual"] is True
    assert "confirm at screening" in entry["reason"]


def test_computable_criteria_are_not_marked_manual() -> None:
    result = evaluate()
    assert not criterion(result, "E3.4")["manual"]
    assert not criterion(result, "I2")["manual"]


def test_i4_is_unknown_without_a_local_score_code() -> None:
    """SELENA-SLEDAI has no standard code: unknown, whatever Observations exist."""
    entry = criterion(evaluate(observation("72514-3", 9, "{score}", on=days_before(3))), "I4")
    assert entry["status"] == "unknown"
    assert "SELENA-SLEDAI" in entry["reason"]


@pytest.mark.parametrize(("score", "age_days", "expected"), [(8, 3, "met"), (7, 3, "not_met"), (12, 91, "unknown")])
def test_i4_with_a_local_score_code_configured(score: int, age_days: int, expected: str) -> None:
    trial = dataclasses.replace(nct05247203(), local_analytes={"selena_sledai": ((LOCAL_SCORES, "SELENA-SLEDAI"),)})
    score_obs = observation("SELENA-SLEDAI", score, "{score}", on=days_before(age_days))
    score_obs["code"]["coding"][0]["system"] = LOCAL_SCORES
    assert criterion(evaluate(score_obs, trial=trial, as_of=AS_OF), "I4")["status"] == expected
