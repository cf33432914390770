"""The decision and `eligible_from` (criteria-nct05247203.md, "Decision").

ineligible if any inclusion is not_met or any exclusion is met; else
potentially_eligible. eligible_from: the latest clears_on when every blocking criterion
carries one; else null.
"""

from __future__ import annotations

from datetime import timedelta

from candidate import CANDIDATE
from fhir_builders import (
    condition,
    days_before,
    immunization,
    medication,
    medication_statement,
    patient,
)
from trial_eval import evaluate

from fhir_mappings.dates import add_months


def _blocking(result: dict) -> set[str]:
    return {
        c["id"] for c in result["criteria"]
        if (c["kind"] == "inclusion" and c["status"] == "not_met") or (c["kind"] == "exclusion" and c["status"] == "met")
    }


def test_candidate_is_potentially_eligible_with_only_manual_and_i4_to_confirm() -> None:
    result = evaluate(*CANDIDATE)
    assert result["decision"] == "potentially_eligible"
    assert result["eligible_from"] is None
    unknown = {c["id"] for c in result["criteria"] if c["status"] == "unknown"}
    assert unknown == {"I1", "I4", "E6", "E9", "E16"}


def test_one_exclusion_met_makes_the_patient_ineligible() -> None:
    result = evaluate(*CANDIDATE, condition("icd10cm", "F32.9", onset=days_before(40)))
    assert _blocking(result) == {"E15"}
    assert result["decision"] == "ineligible"
    assert result["eligible_from"] is None  # an active condition has no time limit


def test_one_inclusion_not_met_makes_the_patient_ineligible() -> None:
    older = [patient(birth_date="1950-01-01")] + CANDIDATE[1:]
    result = evaluate(*older)
    assert _blocking(result) == {"I2"}
    assert result["decision"] == "ineligible"
    assert result["eligible_from"] is None


def test_eligible_from_is_the_latest_washout_when_all_blockers_clear() -> None:
    vaccine = immunization("03", days_before(10))  # E8 clears D-10+29
    rituximab = medication_statement(medication("121191", "rituximab"), days_before(50), days_before(40), status="completed")
    result = evaluate(*CANDIDATE, vaccine, rituximab)
    assert _blocking(result) == {"E8", "E10"}
    e10_clears = add_months(days_before(40), 12) + timedelta(days=1)
    assert result["decision"] == "ineligible"
    assert result["eligible_from"] == e10_clears.isoformat()


def test_no_eligible_from_when_one_blocker_has_no_clears_on() -> None:
    vaccine = immunization("03", days_before(10))
    ongoing = medication_statement(medication("121191", "rituximab"), days_before(50))
    result = evaluate(*CANDIDATE, vaccine, ongoing)
    assert _blocking(result) == {"E8", "E10"}
    assert result["eligible_from"] is None


def test_regimen_started_recently_gives_eligible_from_start_plus_30() -> None:
    recent_start = days_before(12)
    regimen = medication_statement(medication("5521", "hydroxychloroquine"), recent_start)
    without_old_regimen = [r for r in CANDIDATE if r.get("resourceType") != "MedicationStatement"]
    result = evaluate(*without_old_regimen, regimen)
    assert _blocking(result) == {"I6"}
    assert result["eligible_from"] == (recent_start + timedelta(days=30)).isoformat()


def test_unknowns_alone_do_not_make_a_patient_ineligible() -> None:
    """SLE recorded and nothing else: labs, serology and regimen are unknown, not failures."""
    result = evaluate(patient(birth_date="1990-01-01"), condition("snomed", "55464009", onset="2020-01-01"))
    assert result["decision"] == "potentially_eligible"
    assert _blocking(result) == set()
    assert {"I5", "I6", "E3.4", "E4"} <= {c["id"] for c in result["criteria"] if c["status"] == "unknown"}


def test_clears_on_is_only_reported_on_blocking_criteria() -> None:
    """A not_met exclusion or a met inclusion carries no clears_on."""
    result = evaluate(*CANDIDATE, immunization("03", days_before(40)))
    for c in result["criteria"]:
        if c["id"] not in _blocking(result):
            assert c["clears_on"] is None, c["id"]
