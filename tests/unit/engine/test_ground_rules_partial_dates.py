"""Ground rules, "Partial dates" (revision of 2026-12): a date of year or year-month
precision stands for every day of its period. A window test decides only when every one
of those days gives the same answer; otherwise that part is unknown. A `clears_on`
computed from such a date uses the period's last day.

D is 2026-11-25 unless a test says otherwise. Oracle Health (Cerner) sends onset dates
at the precision the clinician entered ("2026-10"); US Core allows partial dateTimes
for Condition.onset, Observation.effective, Procedure.performed and
Immunization.occurrence.
"""

from __future__ import annotations

from datetime import date

import pytest
from ehr_shapes import cerner_condition, epic_immunization, lab, procedure_on, quantity
from fhir_builders import condition, days_before, observation
from trial_eval import criterion, evaluate, status_of

SEIZURE = "91175000"
HEMOGLOBIN = "718-7"
NORMAL_KIDNEY_LABS = [
    observation("2160-0", 0.9, "mg/dL", on=days_before(5)),
    observation("2889-4", 0.2, "g/(24.h)", on=days_before(5)),
]

# E2: CNS disease present in [D-56, D] = [2026-09-30, 2026-11-25]


@pytest.mark.parametrize(
    ("onset", "expected", "clears_on"),
    [
        ("2026-10", "met", "2026-12-27"),  # every day of October is in the window; last day 31 + 57
        ("2026-09", "unknown", None),  # 1-29 September are before the window, the 30th is in it
        ("2026-08", "not_met", None),  # every day before the window
        ("2026", "unknown", None),  # the year straddles the window's start
        ("2025", "not_met", None),
    ],
)
def test_e2_single_event_with_a_partial_onset(onset: str, expected: str, clears_on: str | None) -> None:
    """A resolved seizure with no abatement is present on its onset date only (Oracle
    Health Condition with a year-month onsetDateTime)."""
    seizure = cerner_condition(SEIZURE, "Seizure", clinical="resolved", onset={"onsetDateTime": onset})
    entry = criterion(evaluate(seizure), "E2")
    assert entry["status"] == expected
    assert entry["clears_on"] == clears_on


@pytest.mark.parametrize(
    ("abatement", "expected", "clears_on"),
    [("2026-10", "met", "2026-12-27"), ("2026-09", "unknown", None), ("2026-07", "not_met", None)],
)
def test_e2_partial_abatement_date_straddling_the_window_edge(abatement: str, expected: str, clears_on: str | None) -> None:
    stroke = condition("snomed", "230690007", "CVA", clinical_status="resolved", onset="2026-01-05", abatement=abatement)
    entry = criterion(evaluate(stroke), "E2")
    assert entry["status"] == expected
    assert entry["clears_on"] == clears_on


def test_e2_a_partial_record_beside_a_certain_one_is_still_met_and_clears_on_the_last_possible_day() -> None:
    """A certain event decides met; the clearing date waits for the partial one's last day."""
    certain = condition("snomed", SEIZURE, clinical_status="resolved", onset=days_before(20))  # 2026-11-05
    partial = condition("snomed", SEIZURE, clinical_status="resolved", onset="2026-11")
    entry = criterion(evaluate(certain, partial), "E2")
    assert entry["status"] == "met"
    assert entry["clears_on"] == "2027-01-26"  # 2026-11-30 + 57 days


# Coded history without a window: the record must start on or before D


@pytest.mark.parametrize(("onset", "expected"), [("2026-10", "met"), ("2026-11", "unknown"), ("2026-12", "not_met")])
def test_active_condition_with_a_partial_onset_around_d(onset: str, expected: str) -> None:
    """Depression with onset in November 2026: some of its days are after D (2026-11-25)."""
    depression = condition("icd10cm", "F32.9", onset=onset)
    assert status_of("E15", depression) == expected


# Labs: the look-back window [D-90, D] = [2026-08-27, 2026-11-25]


@pytest.mark.parametrize(("effective", "expected"), [("2026-09", "met"), ("2026-08", "unknown"), ("2026-05", "unknown")])
def test_lab_with_a_partial_effective_date(effective: str, expected: str) -> None:
    """2026-09 is inside the window; 2026-08 straddles its start (so it may be no recent
    result at all); 2026-05 is outside (no recent result: unknown, as always)."""
    hb = lab(HEMOGLOBIN, effective={"effectiveDateTime": effective}, value=quantity(70, "g/L", "g/L"))
    assert status_of("E3.4", hb) == expected


def test_a_partial_date_that_may_be_later_than_the_newest_exact_result_leaves_it_open() -> None:
    """A normal hemoglobin on 2026-11-20 and a low one dated only "2026-11": either may be
    the most recent, and they disagree."""
    normal = observation(HEMOGLOBIN, 130, "g/L", on=days_before(5))
    low = lab(HEMOGLOBIN, effective={"effectiveDateTime": "2026-11"}, value=quantity(70, "g/L", "g/L"))
    entry = criterion(evaluate(normal, low), "E3.4")
    assert entry["status"] == "unknown"
    assert "2026-11" in entry["reason"]


def test_partial_dates_that_agree_decide() -> None:
    """Both candidates for the most recent are low: met whichever it is."""
    low = observation(HEMOGLOBIN, 80, "g/L", on=days_before(5))
    lower = lab(HEMOGLOBIN, effective={"effectiveDateTime": "2026-11"}, value=quantity(70, "g/L", "g/L"))
    assert status_of("E3.4", low, lower) == "met"


def test_a_partial_date_surely_before_the_newest_result_does_not_compete() -> None:
    normal = observation(HEMOGLOBIN, 130, "g/L", on=days_before(5))  # 2026-11-20
    older_low = lab(HEMOGLOBIN, effective={"effectiveDateTime": "2026-10"}, value=quantity(70, "g/L", "g/L"))
    assert status_of("E3.4", normal, older_low) == "not_met"


def test_i5_partial_date_of_a_positive_ana_is_any_time_before_d() -> None:
    """I5 reads any result ever: a positive ANA dated "2019" is before D whatever its day."""
    ana = lab("8061-4", effective={"effectiveDateTime": "2019"}, value={"valueString": "Positive"})
    assert status_of("I5", ana) == "met"


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [(date(2026, 11, 30), "met"), (date(2026, 11, 25), "unknown")],
)
def test_e6_positive_hcg_dated_by_month(as_of: date, expected: str) -> None:
    """[D-30, D] holds all of November when D is 2026-11-30 (met); when D is 2026-11-25,
    some November days are after D, so the positive may be outside: unknown, not met."""
    hcg = lab("2106-3", effective={"effectiveDateTime": "2026-11"}, value={"valueString": "Positive"})
    entry = criterion(evaluate(hcg, as_of=as_of), "E6")
    assert entry["status"] == expected
    if expected == "unknown":
        assert "2026-11" in entry["reason"]


# Procedures: hemodialysis in [D-90, D]


@pytest.mark.parametrize(("performed", "expected"), [("2026-09", "met"), ("2026-08", "unknown"), ("2026-06", "not_met")])
def test_e1_hemodialysis_with_a_partial_date(performed: str, expected: str) -> None:
    dialysis = procedure_on("302497006", {"performedDateTime": performed})
    assert status_of("E1", *NORMAL_KIDNEY_LABS, dialysis) == expected


def test_e1_hemodialysis_with_only_a_text_date_is_unknown() -> None:
    """A completed procedure whose performed[x] is text has no readable date: it could be
    inside the 90 days (docs/design.md: procedures are read as immunizations are)."""
    dialysis = procedure_on("302497006", {"performedString": "at the outside hospital"}, id="hd-text")
    entry = criterion(evaluate(*NORMAL_KIDNEY_LABS, dialysis), "E1")
    assert entry["status"] == "unknown"
    assert "Procedure/hd-text" in entry["reason"]


# Immunizations: a live vaccine in [D-28, D]


def test_e8_partial_occurrence_inside_the_window_clears_from_its_last_day() -> None:
    """D = 2027-03-01: [D-28, D] = [2027-02-01, 2027-03-01] holds all of February 2027."""
    d = date(2027, 3, 1)
    mmr = epic_immunization("03", occurrence={"occurrenceDateTime": "2027-02"})
    entry = criterion(evaluate(mmr, as_of=d), "E8")
    assert entry["status"] == "met"
    assert entry["clears_on"] == "2027-03-29"  # 2027-02-28 + 29 days
    result = evaluate(mmr, as_of=d)
    assert result["decision"] == "ineligible"


@pytest.mark.parametrize(("occurrence", "expected"), [("2026-11", "unknown"), ("2026-10", "unknown"), ("2026-09", "not_met")])
def test_e8_partial_occurrence_straddling_the_window(occurrence: str, expected: str) -> None:
    """[D-28, D] = [2026-10-28, 2026-11-25]: November runs past D, October starts before the window."""
    varicella = epic_immunization("21", occurrence={"occurrenceDateTime": occurrence})
    assert status_of("E8", varicella) == expected

