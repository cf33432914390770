"""Ground rules, "Condition onset and status" (revision of 2026-12), and E6's stale
pregnancy rule.

Onset is onsetDateTime, else onsetPeriod.start, else onsetAge (birthDate + age: in
years the whole year of life, in months or days that month or day of life), else
recordedDate; onsetString is not a date. Abatement likewise. An unconfirmed,
provisional or differential diagnosis counts for an exclusion, and gives an inclusion
unknown ("diagnosis not confirmed"), never met. D is 2026-11-25; E2's window is
[2026-09-30, 2026-11-25].
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from ehr_shapes import age, cerner_condition, epic_problem
from fhir_builders import AS_OF, condition, days_before, observation, patient
from trial_eval import criterion, evaluate, status_of

from cds.engine.tree import LogicError, compile_logic

SEIZURE = "91175000"
BORN = "1990-08-10"  # the patient of the onsetAge tests


def _seizure(**onset_or_abatement: object) -> dict:
    """A resolved seizure Condition (Oracle Health shape) with the given onset[x]/recordedDate."""
    record = cerner_condition(SEIZURE, "Seizure", clinical="resolved")
    record.update(onset_or_abatement)
    return record


# Onset forms


def test_onset_period_start_is_the_onset() -> None:
    record = _seizure(onsetPeriod={"start": days_before(10).isoformat(), "end": days_before(8).isoformat()})
    assert status_of("E2", record) == "met"
    old = _seizure(onsetPeriod={"start": days_before(100).isoformat()})
    assert status_of("E2", old) == "not_met"


@pytest.mark.parametrize(("years", "expected"), [(30, "met"), (36, "unknown"), (37, "not_met")])
def test_onset_age_in_years_is_that_whole_year_of_life(years: int, expected: str) -> None:
    """Born 1990-08-10: age 36 runs from 2026-08-10 to 2027-08-09, across D; age 37 is
    after D. An active depression counts only from its onset."""
    depression = epic_problem("F32.9", text="Depression", onset={"onsetAge": age(years)})
    assert status_of("E15", patient(birth_date=BORN), depression) == expected


def test_onset_age_in_years_straddling_the_e2_window() -> None:
    """Age 36 (2026-08-10 to 2027-08-09) as a single event: some of its days fall in the
    window and some do not."""
    entry = criterion(evaluate(patient(birth_date=BORN), _seizure(onsetAge=age(36))), "E2")
    assert entry["status"] == "unknown"


def test_onset_age_in_months_is_that_month_of_life() -> None:
    """434 months after 1990-08-10 is 2026-10-10 to 2026-11-09: inside the window, and the
    clearing date counts from the last day (2026-11-09 + 57 days)."""
    entry = criterion(evaluate(patient(birth_date=BORN), _seizure(onsetAge=age(434, "mo"))), "E2")
    assert entry["status"] == "met"
    assert entry["clears_on"] == "2027-01-05"


@pytest.mark.parametrize(("day_of_life", "expected"), [(13232, "met"), (13100, "not_met")])
def test_onset_age_in_days_is_that_day(day_of_life: int, expected: str) -> None:
    """Day 13232 of a life begun 1990-08-10 is 2026-11-01 (in the window); day 13100 is
    2026-06-22 (before it)."""
    record = _seizure(onsetAge=age(day_of_life, "d"))
    assert status_of("E2", patient(birth_date=BORN), record) == expected


def test_onset_age_with_a_partial_birth_date_widens_by_the_birth_year() -> None:
    """Born "1990": age 36 could begin any day of 2026: the onset may be after D."""
    depression = epic_problem("F32.9", text="Depression", onset={"onsetAge": age(36)})
    assert status_of("E15", patient(birth_date="1990"), depression) == "unknown"
    earlier = epic_problem("F32.9", text="Depression", onset={"onsetAge": age(30)})
    assert status_of("E15", patient(birth_date="1990"), earlier) == "met"


def test_onset_age_without_a_birth_date_falls_back_to_the_recorded_date() -> None:
    record = _seizure(onsetAge=age(36), recordedDate=days_before(10).isoformat())
    assert status_of("E2", patient(birth_date=None), record) == "met"


@pytest.mark.parametrize(("recorded_days", "expected"), [(10, "met"), (100, "not_met")])
def test_onset_string_is_not_a_date_the_recorded_date_is(recorded_days: int, expected: str) -> None:
    """Epic sends free-text onsets ("childhood", "last month") as onsetString."""
    record = _seizure(onsetString="last month", recordedDate=days_before(recorded_days).isoformat())
    assert status_of("E2", record) == expected


def test_onset_string_without_recorded_date_is_present_at_d() -> None:
    """No usable date at all: the E2 rule (neither onset nor recordedDate) puts it at D."""
    assert status_of("E2", _seizure(onsetString="unknown")) == "met"


# Abatement forms


@pytest.mark.parametrize(
    ("abatement", "expected"),
    [
        ({"abatementPeriod": {"start": "2026-01-20", "end": days_before(20).isoformat()}}, "met"),
        ({"abatementPeriod": {"start": "2026-01-20", "end": days_before(80).isoformat()}}, "not_met"),
        ({"abatementAge": age(434, "mo")}, "met"),  # 2026-10-10 to 2026-11-09
        ({"abatementAge": age(35)}, "not_met"),  # 2025-08-10 to 2026-08-09: before the window
        ({"abatementAge": age(36)}, "unknown"),  # 2026-08-10 to 2027-08-09: across its start
    ],
)
def test_abatement_forms_end_the_presence(abatement: dict, expected: str) -> None:
    """A stroke from January 2026, resolved; present until its abatement."""
    stroke = cerner_condition("230690007", "Cerebrovascular accident", clinical="resolved",
                              onset={"onsetDateTime": "2026-01-05", **abatement})
    assert status_of("E2", patient(birth_date=BORN), stroke) == expected


# verificationStatus unconfirmed / provisional / differential


@pytest.mark.parametrize("verification", ["unconfirmed", "provisional", "differential"])
def test_an_unconfirmed_diagnosis_counts_for_an_exclusion(verification: str) -> None:
    """Epic sends a working diagnosis as provisional: for E15 and E14 it still excludes."""
    depression = epic_problem("F32.9", text="Depression", verification=verification, onset={"onsetDateTime": "2025-02-01"})
    hiv = epic_problem("B20", text="HIV disease", verification=verification)
    assert status_of("E15", depression) == "met"
    assert status_of("E14", hiv) == "met"
    assert evaluate(depression)["decision"] == "ineligible"


@pytest.mark.parametrize("verification", ["unconfirmed", "provisional", "differential"])
def test_an_unconfirmed_diagnosis_never_meets_an_inclusion(verification: str) -> None:
    sle = epic_problem("M32.9", "55464009", "Systemic lupus erythematosus", verification=verification)
    entry = criterion(evaluate(sle), "I3")
    assert entry["status"] == "unknown"
    assert "diagnosis not confirmed" in entry["reason"]
    assert verification in entry["reason"]


def test_a_confirmed_diagnosis_beside_an_unconfirmed_one_meets_the_inclusion() -> None:
    unconfirmed = epic_problem("M32.9", text="SLE", verification="differential", id="sle-differential")
    confirmed = epic_problem("M32.14", text="Lupus nephritis", verification="confirmed", id="sle-confirmed")
    entry = criterion(evaluate(unconfirmed, confirmed), "I3")
    assert entry["status"] == "met"
    assert [e["reference"] for e in entry["evidence"]] == ["Condition/sle-confirmed"]


def test_an_unconfirmed_inclusion_diagnosis_with_only_partial_lupus_stays_unknown() -> None:
    """An unconfirmed SLE and a bare lupus code: unknown either way, never met."""
    assert status_of("I3", epic_problem("M32.9", verification="unconfirmed"),
                     condition("snomed", "200936003")) == "unknown"


# E6: a pregnancy dated before D - 294 days (42 weeks) is stale, not active


@pytest.mark.parametrize(("days", "expected"), [(294, "met"), (295, "unknown")])
def test_e6_pregnancy_older_than_42_weeks_is_stale_whatever_its_status(days: int, expected: str) -> None:
    """An Oracle Health pregnancy Condition still marked active after 42 weeks."""
    pregnancy = cerner_condition("77386006", "Pregnancy", onset={"onsetDateTime": days_before(days).isoformat()})
    entry = criterion(evaluate(pregnancy), "E6")
    assert entry["status"] == expected
    if expected == "unknown":
        assert "still open" in entry["reason"] and "294 days" in entry["reason"]


def test_e6_stale_pregnancy_uses_the_recorded_date_when_there_is_no_onset() -> None:
    recorded_old = condition("snomed", "77386006", recorded=days_before(400))
    recorded_recent = condition("snomed", "77386006", recorded=days_before(40))
    assert status_of("E6", recorded_old) == "unknown"
    assert status_of("E6", recorded_recent) == "met"


def test_e6_pregnancy_without_status_or_abatement_is_active_until_stale() -> None:
    fresh = condition("snomed", "72892002", clinical_status=None, onset=days_before(100))
    stale = condition("snomed", "72892002", clinical_status=None, onset=days_before(400))
    assert status_of("E6", fresh) == "met"
    assert status_of("E6", stale) == "unknown"


def test_e6_partial_pregnancy_onset_straddling_d_minus_294_is_unknown() -> None:
    """D - 294 = 2026-02-04: a pregnancy dated "2026-02" may be older or not."""
    assert (AS_OF - timedelta(days=294)).isoformat() == "2026-02-04"
    straddling = cerner_condition("77386006", "Pregnancy", onset={"onsetDateTime": "2026-02"})
    inside = cerner_condition("77386006", "Pregnancy", onset={"onsetDateTime": "2026-03"})
    assert status_of("E6", straddling) == "unknown"
    assert status_of("E6", inside) == "met"


def test_e6_stale_pregnancy_with_a_positive_hcg_is_met() -> None:
    pregnancy = condition("snomed", "77386006", onset="2019-01-01")
    hcg = observation("2106-3", value_code=("snomed", "10828004", "Positive"), on=days_before(3))
    assert status_of("E6", pregnancy, hcg) == "met"


def test_e6_lactation_is_not_time_limited() -> None:
    breastfeeding = condition("snomed", "169750002", onset=days_before(400))
    assert status_of("E6", breastfeeding) == "met"


def test_e6_resolved_old_pregnancy_does_not_count() -> None:
    past = condition("snomed", "77386006", clinical_status="resolved", onset="2019-01-01", abatement="2019-09-01")
    entry = criterion(evaluate(past), "E6")
    assert entry["status"] == "unknown"  # the contraception part is manual
    assert "pregnancy" not in entry["reason"]


def test_stale_after_days_is_a_parameter_of_active_conditions_only() -> None:
    """The condition kind's parameter (reused by the portfolio's G15): a trial file that
    puts it on a status-any part is refused when it is loaded."""
    good = {"condition": {"valuesets": ["pregnancy"], "label": "pregnancy", "status": "active", "stale_after_days": 294}}
    compile_logic(good, "E1.logic")
    bad = {"condition": {"valuesets": ["pregnancy"], "label": "pregnancy", "status": "any", "stale_after_days": 294}}
    with pytest.raises(LogicError, match="stale_after_days"):
        compile_logic(bad, "E1.logic")
