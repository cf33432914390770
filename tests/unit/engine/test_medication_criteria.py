"""I6, E1/E12 steroid courses, E10-E13: medication exposure intervals and washouts.

Exposure intervals (ground rules): MedicationStatement / MedicationAdministration from
effective[x] (an open period is ongoing only if active); MedicationRequest from
authoredOn to validityPeriod.end, else + expectedSupplyDuration, else ongoing if
active/on-hold, else one day. Overlapping or touching exposures of one ingredient merge.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fhir_builders import (
    AS_OF,
    days_before,
    dosage,
    immunization,
    medication,
    medication_administration,
    medication_request,
    medication_statement,
    procedure,
)
from trial_eval import criterion, evaluate, status_of

from fhir_mappings.dates import add_months

PREDNISONE = medication("8640", "prednisone")
METHYLPREDNISOLONE = medication("6902", "methylprednisolone")
PREDNISOLONE = medication("8638", "prednisolone")
HYDROXYCHLOROQUINE = medication("5521", "hydroxychloroquine")
RITUXIMAB = medication("121191", "rituximab")
BELIMUMAB = medication("1092437", "belimumab")
IVIG = medication("5666", "immune globulin")

TWELVE_MONTHS_BEFORE_D = add_months(AS_OF, -12)  # 2025-11-25: same day of the month

# I6: stable standard regimen for >= 30 days


@pytest.mark.parametrize(("start_days", "expected"), [(30, "met"), (29, "not_met"), (400, "met")])
def test_i6_ongoing_standard_drug_started_30_days_before_d(start_days: int, expected: str) -> None:
    entry = criterion(evaluate(medication_statement(HYDROXYCHLOROQUINE, days_before(start_days))), "I6")
    assert entry["status"] == expected
    if expected == "not_met":
        assert entry["clears_on"] == (days_before(start_days) + timedelta(days=30)).isoformat()


def test_i6_no_medication_records_at_all_is_unknown() -> None:
    assert status_of("I6") == "unknown"


def test_i6_records_but_no_standard_drug_is_not_met() -> None:
    lisinopril = medication("29046", "lisinopril")
    entry = criterion(evaluate(medication_statement(lisinopril, days_before(300))), "I6")
    assert entry["status"] == "not_met"
    assert entry["clears_on"] is None


def test_i6_stopped_drug_does_not_qualify() -> None:
    stopped = medication_statement(HYDROXYCHLOROQUINE, days_before(300), days_before(10), status="completed")
    assert status_of("I6", stopped) == "not_met"


def test_i6_open_period_that_is_not_active_ends_at_its_start() -> None:
    assert status_of("I6", medication_statement(HYDROXYCHLOROQUINE, days_before(300), status="completed")) == "not_met"


def test_i6_topical_corticosteroid_is_not_a_standard_regimen() -> None:
    cream = medication(text="hydrocortisone 1 % Topical Cream")
    assert status_of("I6", medication_statement(cream, days_before(300))) == "not_met"


@pytest.mark.parametrize(
    "drug",
    [
        medication("979092", display="Hydroxychloroquine Sulfate 200 MG Oral Tablet"),  # Synthea SCD
        medication("849574", display="Naproxen sodium 220 MG Oral Tablet"),
        medication(text="predniSONE 5 MG Oral Tablet"),  # Tall-Man lettering, no code
        medication(text="Mycophenolate Mofetil 500 MG Oral Tablet"),
        medication(text="azathioprine sodium"),
    ],
)
def test_i6_products_and_names_map_to_standard_ingredients(drug: dict) -> None:
    assert status_of("I6", medication_request(drug, days_before(120))) == "met"


def test_i6_renewals_that_touch_merge_into_one_exposure() -> None:
    first = medication_statement(HYDROXYCHLOROQUINE, days_before(100), days_before(20), status="completed")
    renewal = medication_statement(HYDROXYCHLOROQUINE, days_before(19))
    assert status_of("I6", first, renewal) == "met"


def test_i6_a_gap_restarts_the_drug() -> None:
    first = medication_statement(HYDROXYCHLOROQUINE, days_before(100), days_before(20), status="completed")
    restart = medication_statement(HYDROXYCHLOROQUINE, days_before(18))
    entry = criterion(evaluate(first, restart), "I6")
    assert entry["status"] == "not_met"
    assert entry["clears_on"] == (days_before(18) + timedelta(days=30)).isoformat()


@pytest.mark.parametrize("status", ["entered-in-error", "not-taken"])
def test_i6_erroneous_or_not_taken_records_are_ignored(status: str) -> None:
    assert status_of("I6", medication_statement(HYDROXYCHLOROQUINE, days_before(100), status=status)) == "unknown"


# MedicationRequest intervals, observed through E10 (B-cell drug within 12 months)


def test_request_ends_at_validity_period_end() -> None:
    request = medication_request(RITUXIMAB, "2024-06-01", status="completed", validity_end=days_before(400))
    assert status_of("E10", request) == "not_met"
    request = medication_request(RITUXIMAB, "2024-06-01", status="completed", validity_end=TWELVE_MONTHS_BEFORE_D)
    entry = criterion(evaluate(request), "E10")
    assert entry["status"] == "met"
    assert entry["clears_on"] == (add_months(TWELVE_MONTHS_BEFORE_D, 12) + timedelta(days=1)).isoformat()


def test_request_ends_after_its_expected_supply_duration() -> None:
    """Ground rules: a request ends on authoredOn + expectedSupplyDuration (A + 30)."""
    authored = TWELVE_MONTHS_BEFORE_D - timedelta(days=30)
    request = medication_request(RITUXIMAB, authored, status="completed", supply_days=30)
    entry = criterion(evaluate(request), "E10")
    assert entry["status"] == "met"
    assert entry["clears_on"] == (AS_OF + timedelta(days=1)).isoformat()
    shorter = medication_request(RITUXIMAB, authored, status="completed", supply_days=29)
    assert status_of("E10", shorter) == "not_met"


@pytest.mark.parametrize("status", ["active", "on-hold"])
def test_active_request_without_end_is_ongoing(status: str) -> None:
    entry = criterion(evaluate(medication_request(BELIMUMAB, "2020-01-15", status=status)), "E10")
    assert entry["status"] == "met"
    assert entry["clears_on"] is None


@pytest.mark.parametrize("status", ["stopped", "completed"])
def test_stopped_request_without_end_is_one_day(status: str) -> None:
    on_edge = medication_request(BELIMUMAB, TWELVE_MONTHS_BEFORE_D, status=status)
    entry = criterion(evaluate(on_edge), "E10")
    assert entry["status"] == "met"
    assert entry["clears_on"] == (AS_OF + timedelta(days=1)).isoformat()
    before_edge = medication_request(BELIMUMAB, TWELVE_MONTHS_BEFORE_D - timedelta(days=1), status=status)
    assert status_of("E10", before_edge) == "not_met"


# E10 / E11: 12 months = the same day of the month a year earlier


@pytest.mark.parametrize(("end_offset", "expected"), [(0, "met"), (-1, "not_met")])
def test_e10_window_edge_is_same_day_a_year_earlier(end_offset: int, expected: str) -> None:
    end = TWELVE_MONTHS_BEFORE_D + timedelta(days=end_offset)
    exposure = medication_statement(RITUXIMAB, end - timedelta(days=1), end, status="completed")
    entry = criterion(evaluate(exposure), "E10")
    assert entry["status"] == expected
    if expected == "met":
        assert entry["clears_on"] == (add_months(end, 12) + timedelta(days=1)).isoformat()


def test_e10_medication_administration_counts() -> None:
    given = medication_administration(RITUXIMAB, days_before(100), dose_mg=1000)
    entry = criterion(evaluate(given), "E10")
    assert entry["status"] == "met"
    assert entry["clears_on"] == (add_months(days_before(100), 12) + timedelta(days=1)).isoformat()


def test_e10_clears_after_the_last_exposure() -> None:
    infusions = [medication_administration(RITUXIMAB, days_before(d)) for d in (200, 186, 20)]
    entry = criterion(evaluate(*infusions), "E10")
    assert entry["clears_on"] == (add_months(days_before(20), 12) + timedelta(days=1)).isoformat()


def test_e10_drugs_without_rxnorm_code_match_by_name() -> None:
    assert status_of("E10", medication_statement(medication(text="Epratuzumab 600 mg IV"), days_before(60), days_before(60),
                                                 status="completed")) == "met"


def test_e10_not_met_when_no_b_cell_drug() -> None:
    assert status_of("E10", medication_statement(HYDROXYCHLOROQUINE, days_before(100))) == "not_met"


@pytest.mark.parametrize(
    "drug",
    [
        medication("1927283", display="infliximab-abda"),  # biosimilar PIN -> infliximab
        medication(text="Infliximab-dyyb 100 MG Injection"),  # biosimilar suffix, name only
        medication("1657981", display="20 ML tocilizumab 20 MG/ML Injection"),  # Synthea SCD
        medication("327361", "adalimumab"),
        medication(text="Anakinra 100 mg/0.67 mL"),
    ],
)
def test_e11_tnf_inhibitors_and_il_receptor_blockers(drug: dict) -> None:
    assert status_of("E11", medication_statement(drug, days_before(90), days_before(60), status="completed")) == "met"


def test_e11_interleukin_inhibitors_that_are_not_receptor_blockers_do_not_count() -> None:
    ustekinumab = medication("847083", "ustekinumab")
    assert status_of("E11", medication_statement(ustekinumab, days_before(90))) == "not_met"


# E13: IL-2, thalidomide, Tripterygium within 28 days


@pytest.mark.parametrize(
    "drug", [medication("10432", "thalidomide"), medication(text="Lei Gong Teng tablets"),
             medication(text="Tripterygium wilfordii glycosides"), medication("70223", "aldesleukin")],
)
def test_e13_drugs_within_28_days(drug: dict) -> None:
    entry = criterion(evaluate(medication_statement(drug, days_before(40), days_before(28), status="completed")), "E13")
    assert entry["status"] == "met"
    assert entry["clears_on"] == (days_before(28) + timedelta(days=29)).isoformat()
    assert status_of("E13", medication_statement(drug, days_before(40), days_before(29), status="completed")) == "not_met"


# E12: IVIG, plasma exchange within 28 days


@pytest.mark.parametrize(("age_days", "expected"), [(28, "met"), (29, "not_met")])
def test_e12_ivig_administration_within_28_days(age_days: int, expected: str) -> None:
    entry = criterion(evaluate(medication_administration(IVIG, days_before(age_days))), "E12")
    assert entry["status"] == expected
    if expected == "met":
        assert entry["clears_on"] == (days_before(age_days) + timedelta(days=29)).isoformat()


def test_e12_ivig_as_an_immunization_counts() -> None:
    assert status_of("E12", immunization("87", days_before(10))) == "met"


@pytest.mark.parametrize(("age_days", "expected"), [(28, "met"), (29, "not_met")])
def test_e12_plasma_exchange_within_28_days(age_days: int, expected: str) -> None:
    assert status_of("E12", procedure("snomed", "20720000", days_before(age_days))) == expected


def test_e12_plasma_exchange_not_completed_is_ignored() -> None:
    assert status_of("E12", procedure("snomed", "20720000", days_before(3), status="not-done")) == "not_met"


# High-dose steroid course: >= 14 consecutive days at >= 100 mg/day prednisone-equivalent


def _course(drug: dict, mg: float, first_day_before: int, days: int, per_day: int = 1, unit: str = "mg") -> dict:
    start = days_before(first_day_before)
    return medication_statement(drug, start, start + timedelta(days=days - 1), status="completed",
                                dose=dosage(mg / per_day, unit, per_day))


@pytest.mark.parametrize(
    ("mg", "days", "expected"), [(100, 14, "met"), (99, 14, "not_met"), (100, 13, "not_met"), (120, 30, "met")]
)
def test_e12_high_dose_course_threshold_and_length(mg: float, days: int, expected: str) -> None:
    assert status_of("E12", _course(PREDNISONE, mg, 20, days)) == expected


def test_e12_course_dose_from_dose_quantity_times_frequency() -> None:
    assert status_of("E12", _course(PREDNISONE, 100, 20, 14, per_day=2)) == "met"  # 50 mg twice a day


def test_methylprednisolone_counts_with_factor_1_25() -> None:
    assert status_of("E12", _course(METHYLPREDNISOLONE, 80, 20, 14)) == "met"  # = 100 mg prednisone
    assert status_of("E12", _course(METHYLPREDNISOLONE, 79, 20, 14)) == "not_met"


def test_concurrent_steroids_add_up() -> None:
    prednisone = _course(PREDNISONE, 60, 20, 14)
    prednisolone = _course(PREDNISOLONE, 40, 20, 14)
    assert status_of("E12", prednisone, prednisolone) == "met"
    assert status_of("E12", prednisone) == "not_met"


def test_course_dose_from_tablets_of_a_synthea_product() -> None:
    """Synthea's 312615 predniSONE 20 MG Oral Tablet, 5 tablets once a day = 100 mg/day."""
    tablets = medication("312615", display="predniSONE 20 MG Oral Tablet")
    start = days_before(20)
    request = medication_request(tablets, start, status="completed", validity_end=start + timedelta(days=13),
                                 dose=dosage(5, "{tablet}", 1))
    assert status_of("E12", request) == "met"


@pytest.mark.parametrize(("last_day_before", "expected"), [(28, "met"), (29, "not_met")])
def test_e12_course_must_overlap_the_28_day_window(last_day_before: int, expected: str) -> None:
    course = _course(PREDNISONE, 100, last_day_before + 13, 14)
    entry = criterion(evaluate(course), "E12")
    assert entry["status"] == expected
    if expected == "met":
        assert entry["clears_on"] == (days_before(last_day_before) + timedelta(days=29)).isoformat()


@pytest.mark.parametrize(("last_day_before", "expected"), [(56, "met"), (57, "unknown")])
def test_e1_course_must_overlap_the_8_week_window(last_day_before: int, expected: str) -> None:
    """Outside the window the course no longer excludes; E1 is then unknown (no kidney labs)."""
    course = _course(PREDNISONE, 100, last_day_before + 13, 14)
    entry = criterion(evaluate(course), "E1")
    assert entry["status"] == expected
    if expected == "met":
        assert entry["clears_on"] == (days_before(last_day_before) + timedelta(days=57)).isoformat()


def test_days_after_d_never_count() -> None:
    """A course started 7 days before D has only 8 days so far, whatever is planned."""
    planned = medication_statement(PREDNISONE, days_before(7), days_before(-30), dose=dosage(100, per_day=1))
    assert status_of("E12", planned) == "not_met"


def test_ongoing_course_has_no_clears_on() -> None:
    ongoing = medication_statement(PREDNISONE, days_before(20), dose=dosage(100, per_day=1))
    entry = criterion(evaluate(ongoing), "E12")
    assert entry["status"] == "met"
    assert entry["clears_on"] is None


def test_topical_steroid_does_not_make_a_course() -> None:
    cream = medication(text="Hydrocortisone 2.5 % Topical Ointment")
    assert status_of("E12", _course(cream, 1000, 20, 20)) == "not_met"


def test_malformed_dosage_makes_only_dose_criteria_unknown() -> None:
    """A steroid without a usable dose cannot be ruled out as high-dose: unknown with the reason;
    I6, which needs no dose, is still decided."""
    no_dose = medication_statement(PREDNISONE, days_before(60), dose=dosage(None, per_day=1))
    result = evaluate(no_dose)
    e12 = criterion(result, "E12")
    assert e12["status"] == "unknown"
    assert "dose" in e12["reason"]
    assert criterion(result, "I6")["status"] == "met"
    assert criterion(result, "E10")["status"] == "not_met"


def test_dosage_without_frequency_is_unknown() -> None:
    no_timing = medication_statement(PREDNISONE, days_before(60), dose=dosage(100, per_day=None))
    assert status_of("E12", no_timing) == "unknown"


def test_active_request_with_a_validity_end_is_not_ongoing() -> None:
    """validityPeriod.end comes first in the order of preference, before the status."""
    request = medication_request(RITUXIMAB, "2023-01-01", status="active", validity_end=days_before(400))
    assert status_of("E10", request) == "not_met"


def test_medication_reference_to_a_medication_resource() -> None:
    drug = {"resourceType": "Medication", "id": "med-rtx", "code": {"coding": [
        {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "121191"}]}}
    statement = medication_statement(RITUXIMAB, days_before(10))
    del statement["medicationCodeableConcept"]
    statement["medicationReference"] = {"reference": "Medication/med-rtx"}
    assert status_of("E10", drug, statement) == "met"


def test_statement_with_a_single_effective_date_is_one_day() -> None:
    statement = medication_statement(RITUXIMAB, days_before(10))
    del statement["effectivePeriod"]
    statement["effectiveDateTime"] = days_before(10).isoformat()
    entry = criterion(evaluate(statement), "E10")
    assert entry["status"] == "met"
    assert entry["clears_on"] == (add_months(days_before(10), 12) + timedelta(days=1)).isoformat()


def test_mixed_corticosteroids_add_up_in_prednisone_equivalents() -> None:
    """Methylprednisolone 40 mg (= 50 mg prednisone) plus prednisone 50 mg = 100 mg/day."""
    assert status_of("E12", _course(METHYLPREDNISOLONE, 40, 20, 14), _course(PREDNISONE, 50, 20, 14)) == "met"
