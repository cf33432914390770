"""NCT04221477 (REGENCY) I1.1, I1.2 and I2: biopsy-class lupus nephritis, a kidney biopsy
within 6 months, and a 24-hour urine protein/creatinine ratio ≥ 1
(criteria-nct04221477.md; portfolio G1, G7, G8, G9).

Fixtures: problem-list Conditions as the US Core Condition example and Epic's
Condition.Read (Problems) sample send them; Procedures as US Core's Procedure example;
24-h urine results as US Core's Observation Lab example (effectivePeriod of the
collection) and Oracle Health's lab results (a code set 72 coding before LOINC).
"""

from __future__ import annotations

from datetime import date

import pytest
from ehr_shapes import at, lab, procedure_on, quantity
from fhir_builders import condition, days_before, observation
from regency_patients import (
    CLASS_II,
    CLASS_III,
    CLASS_IV,
    CLASS_V,
    entry,
    epic_class_iv,
    kidney_biopsy,
    ln_class,
    twenty_four_hour_urine,
    upcr_24h,
)

# --- I1.1: the latest class set decides ------------------------------------------------------


def test_class_iii_with_a_coexisting_class_v_is_met() -> None:
    found = entry("I1.1", ln_class(CLASS_III, "2026-06-01"), ln_class(CLASS_V, "2026-06-01"))
    assert found["status"] == "met"
    assert "class III" in found["reason"]
    assert {e["code"] for e in found["evidence"]} == {f"http://snomed.info/sct|{CLASS_III}", f"http://snomed.info/sct|{CLASS_V}"}


def test_class_iv_on_an_epic_problem_list_is_met_though_it_also_carries_the_unclassified_icd_code() -> None:
    assert entry("I1.1", epic_class_iv(days_before(30)))["status"] == "met"


def test_a_later_class_ii_alone_is_not_met_and_named() -> None:
    found = entry("I1.1", ln_class(CLASS_IV, "2023-03-01"), ln_class(CLASS_II, "2026-02-01"))
    assert found["status"] == "not_met"
    assert "class II" in found["reason"] and "class IV" not in found["reason"]


def test_class_ii_only_is_not_met() -> None:
    assert entry("I1.1", ln_class(CLASS_II, "2026-02-01"))["status"] == "not_met"


@pytest.mark.parametrize("clinical_status", ["inactive", "remission", "resolved"])
def test_a_latest_class_iii_that_is_not_active_is_not_met(clinical_status: str) -> None:
    found = entry("I1.1", ln_class(CLASS_III, "2026-01-10", clinical_status=clinical_status))
    assert found["status"] == "not_met"
    assert f"not active ({clinical_status})" in found["reason"]


def test_no_lupus_nephritis_record_is_not_met() -> None:
    found = entry("I1.1", ln_class("55464009", "2019-01-01"))  # SLE without nephritis
    assert found["status"] == "not_met"
    assert found["reason"] == "no record of lupus nephritis class"


@pytest.mark.parametrize(("system", "code"), [("icd10cm", "M32.14"), ("snomed", "68815009"), ("icd10cm", "M32.15")])
def test_lupus_nephritis_without_a_class_only_is_unknown(system: str, code: str) -> None:
    found = entry("I1.1", condition(system, code, "Lupus nephritis", onset="2026-03-01"))
    assert found["status"] == "unknown"
    assert "confirm class III or IV on the biopsy report" in found["reason"]


def test_class_records_without_a_date_are_unknown() -> None:
    found = entry("I1.1", ln_class(CLASS_IV, None))
    assert found["status"] == "unknown"
    assert "without a date" in found["reason"]


def test_a_class_dated_only_by_its_recorded_date_counts_g7() -> None:
    assert entry("I1.1", ln_class(CLASS_IV, None, recorded="2026-04-02"))["status"] == "met"


def test_a_provisional_class_iv_never_meets_the_inclusion() -> None:
    found = entry("I1.1", ln_class(CLASS_IV, "2026-09-01", verification="provisional"))
    assert found["status"] == "unknown"
    assert "not confirmed" in found["reason"]


def test_a_refuted_class_iv_is_no_record() -> None:
    assert entry("I1.1", ln_class(CLASS_IV, "2026-09-01", verification="refuted"))["status"] == "not_met"


def test_a_class_iv_dated_after_d_is_ignored() -> None:
    assert entry("I1.1", ln_class(CLASS_II, "2026-01-01"), ln_class(CLASS_IV, days_before(-3)))["status"] == "not_met"


# --- I1.2: a kidney biopsy within 6 months ---------------------------------------------------
# D = 2026-11-25, so D − 6 months = 2026-05-25, the first day inside the window.


@pytest.mark.parametrize(
    ("performed", "status"),
    [(date(2026, 5, 25), "met"), (date(2026, 5, 24), "not_met"), (date(2026, 11, 25), "met"), (date(2026, 11, 26), "not_met")],
)
def test_the_six_month_window_includes_both_ends(performed: date, status: str) -> None:
    found = entry("I1.2", kidney_biopsy(performed))
    assert found["status"] == status
    assert found["clears_on"] is None


def test_not_met_names_the_last_biopsy() -> None:
    found = entry("I1.2", kidney_biopsy("2025-02-03"), kidney_biopsy("2026-05-24"))
    assert found["status"] == "not_met"
    assert "last on 2026-05-24" in found["reason"]


@pytest.mark.parametrize(("as_of", "performed", "status"), [
    (date(2026, 8, 31), date(2026, 2, 28), "met"),  # D − 6 months = 31 February, clamped to the 28th
    (date(2026, 8, 31), date(2026, 2, 27), "not_met"),
])
def test_six_months_before_a_31st_is_the_last_day_of_that_month(as_of: date, performed: date, status: str) -> None:
    assert entry("I1.2", kidney_biopsy(performed), as_of=as_of)["status"] == status


def test_the_cpt_percutaneous_biopsy_code_counts() -> None:
    assert entry("I1.2", kidney_biopsy(days_before(40), code=("cpt", "50200")))["status"] == "met"


def test_a_biopsy_period_that_reaches_into_the_window_counts() -> None:
    biopsy = procedure_on("7246002", {"performedPeriod": {"start": "2026-05-24T16:00:00Z", "end": "2026-05-25T09:00:00Z"}})
    assert entry("I1.2", biopsy)["status"] == "met"


def test_a_biopsy_without_a_performed_date_is_unknown_g8() -> None:
    found = entry("I1.2", procedure_on("7246002", {"performedString": "spring 2026"}))
    assert found["status"] == "unknown"


@pytest.mark.parametrize("status", ["preparation", "in-progress", "not-done", "entered-in-error"])
def test_a_biopsy_that_is_not_completed_does_not_count(status: str) -> None:
    assert entry("I1.2", kidney_biopsy(days_before(10), status=status))["status"] == "not_met"


def test_no_biopsy_but_a_recent_class_that_makes_i1_1_met_is_unknown() -> None:
    found = entry("I1.2", epic_class_iv(days_before(90)))
    assert found["status"] == "unknown"
    assert "confirm the biopsy date" in found["reason"]
    assert found["clears_on"] is None


def test_no_biopsy_and_an_old_class_is_not_met() -> None:
    old_class = ln_class(CLASS_IV, "2025-10-01")  # I1.1 met, but the class is more than 6 months old
    assert entry("I1.1", old_class)["status"] == "met"
    assert entry("I1.2", old_class)["status"] == "not_met"


@pytest.mark.parametrize(
    "records",
    [
        [ln_class(CLASS_IV, None)],  # undated: I1.1 unknown
        [ln_class(CLASS_IV, days_before(30), verification="provisional")],  # I1.1 unknown for an inclusion
        [ln_class(CLASS_IV, days_before(30)), ln_class(CLASS_II, None)],  # an undated class II may be later
        [ln_class("68815009", days_before(30))],  # unclassified: I1.1 unknown
    ],
)
def test_a_class_that_does_not_make_i1_1_met_opens_no_unknown_tier(records: list[dict]) -> None:
    """The page: unknown only when 'the class III/IV Condition that made I1.1 met' is recent."""
    assert entry("I1.1", *records)["status"] == "unknown"
    assert entry("I1.2", *records)["status"] == "not_met"


def test_a_recent_class_with_a_month_only_date_straddling_the_window_edge_is_unknown() -> None:
    month = epic_class_iv(date(2026, 5, 1))
    month["onsetDateTime"] = "2026-05"  # May 2026: partly before D − 6 months (2026-05-25)
    assert entry("I1.1", month)["status"] == "met"
    assert entry("I1.2", month)["status"] == "unknown"


def test_an_old_biopsy_beside_a_recent_class_stays_unknown_and_is_named() -> None:
    found = entry("I1.2", kidney_biopsy("2025-11-02"), ln_class(CLASS_III, days_before(20)))
    assert found["status"] == "unknown"
    assert "last on 2025-11-02" in found["reason"]


# --- I2: 24-hour urine protein/creatinine ratio ≥ 1 (G9) -------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "status"),
    [
        (1.0, "mg/mg", "met"),  # the threshold itself, inclusive
        (0.99, "mg/mg", "not_met"),
        (1.0, "g/g", "met"),
        (1000, "mg/g", "met"),
        (999, "mg/g", "not_met"),
        (113.2, "mg/mmol", "met"),  # × 0.00884 = 1.0007 g/g
        (113.1, "mg/mmol", "not_met"),  # × 0.00884 = 0.9998 g/g (the page's "= 113.1" is rounded)
        (0.1132, "g/mmol", "met"),  # × 8.84 = 1.0007 g/g
        # UCUM annotations mean nothing (UCUM §4.3 "curly braces"): as labs write the ratio's code
        (1000, "mg/g{creat}", "met"),
        (999, "mg/g{creat}", "not_met"),
        (113.2, "mg/mmol{creat}", "met"),
    ],
)
def test_a_reported_24_hour_ratio_in_each_unit(value: float, unit: str, status: str) -> None:
    found = entry("I2", upcr_24h(value, unit, days_before(10)))
    assert found["status"] == status


@pytest.mark.parametrize("unit", ["1", "{ratio}", None])
def test_a_ratio_without_unit_is_unknown(unit: str | None) -> None:
    found = entry("I2", upcr_24h(2.5, unit, days_before(10)))
    assert found["status"] == "unknown"
    assert "ratio without unit" in found["reason"]


def test_the_oracle_health_shape_of_the_ratio_reads_as_well() -> None:
    result = lab("40486-3", effective=at(f"{days_before(5).isoformat()}T10:15:00-05:00"), value=quantity(1.4, "mg/mg", "mg/mg"))
    assert entry("I2", result)["status"] == "met"


def test_a_spot_ratio_never_satisfies_a_24_hour_collection_and_is_quoted() -> None:
    spot = observation("2890-2", 3.5, "mg/mg", on=days_before(4))
    found = entry("I2", spot)
    assert found["status"] == "unknown"
    assert "does not count as 24-h urine protein/creatinine ratio" in found["reason"]
    assert "3.5 mg/mg" in found["reason"]


def test_a_spot_ratio_beside_a_low_24_hour_ratio_leaves_it_not_met() -> None:
    found = entry("I2", upcr_24h(0.6, "mg/mg", days_before(30)), observation("34366-5", 1.8, "mg/mg", on=days_before(2)))
    assert found["status"] == "not_met"
    assert "does not count" in found["reason"]


def test_a_12_hour_ratio_is_not_a_24_hour_one() -> None:
    assert entry("I2", upcr_24h(2.0, "mg/mg", days_before(3), code="60678-0"))["status"] == "unknown"


@pytest.mark.parametrize(
    ("protein", "creatinine", "status"),
    [
        ((2.4, "g/(24.h)"), (1.2, "g/(24.h)"), "met"),  # 2.0 g/g
        ((1100, "mg/(24.h)"), (1.1, "g/(24.h)"), "met"),  # exactly 1.0 g/g
        ((900, "mg/(24.h)"), (9.0, "mmol/(24.h)"), "not_met"),  # 0.9 g ÷ 1.018 g = 0.88 g/g
        ((1200, "mg/(24.h)"), (9.0, "mmol/(24.h)"), "met"),  # 1.2 g ÷ 1.018 g = 1.18 g/g
    ],
)
def test_a_ratio_derived_from_one_24_hour_collection(protein, creatinine, status) -> None:
    found = entry("I2", *twenty_four_hour_urine(protein, creatinine, days_before(15)))
    assert found["status"] == status
    assert "derived" in found["reason"]


def test_protein_and_creatinine_of_different_collections_derive_nothing() -> None:
    protein, _ = twenty_four_hour_urine((2.4, "g/(24.h)"), (1.2, "g/(24.h)"), days_before(15))
    _, creatinine = twenty_four_hour_urine((2.4, "g/(24.h)"), (1.2, "g/(24.h)"), days_before(40))
    assert entry("I2", protein, creatinine)["status"] == "unknown"


@pytest.mark.parametrize(("days", "status"), [(90, "met"), (91, "unknown")])
def test_the_24_hour_ratio_must_be_within_90_days(days: int, status: str) -> None:
    assert entry("I2", upcr_24h(1.9, "mg/mg", days_before(days)))["status"] == status


def test_the_most_recent_24_hour_ratio_decides() -> None:
    found = entry("I2", upcr_24h(2.4, "mg/mg", days_before(60)), upcr_24h(0.7, "mg/mg", days_before(5)))
    assert found["status"] == "not_met"


def test_no_result_at_all_is_unknown() -> None:
    found = entry("I2")
    assert found["status"] == "unknown"
    assert "no 24-h urine protein/creatinine ratio result in the last 90 days" in found["reason"]
