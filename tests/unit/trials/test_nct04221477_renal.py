"""NCT04221477 (REGENCY) E2.1-E2.3: severe renal impairment, need for dialysis, need for
renal transplantation (criteria-nct04221477.md; portfolio G2, G8, G10).

Fixtures: Synthea's chronic_kidney_disease, dialysis and kidney_transplant modules (their
SNOMED CT codes, eGFR 33914-3 written in mL/min, dialysis as a Procedure over a
performedPeriod), labs as the US Core Observation Lab example writes them, and problems
as Epic's Condition.Read (Problems) sample sends them (ICD-10-CM under its OID).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from ehr_shapes import epic_problem, procedure_on, procedure_period
from fhir_builders import AS_OF, SNOMED, condition, days_before, observation, patient, procedure
from regency_patients import CPT, entry

SYNTHEA_EGFR = "33914-3"  # Synthea writes it in mL/min (G10 step 3 reads it per 1.73 m²)
CKD_STAGE_4 = ("snomed", "431857002", "Chronic kidney disease stage 4 (disorder)")  # Synthea chronic_kidney_disease
RENAL_DIALYSIS = "265764009"  # Synthea dialysis module


def ckd_epi_2021(creatinine_mg_dl: float, age: int, female: bool) -> float:
    """The published CKD-EPI 2021 equation (kidney.org), written out independently of the engine."""
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    ratio = creatinine_mg_dl / kappa
    return 142 * min(ratio, 1) ** alpha * max(ratio, 1) ** -1.200 * 0.9938**age * (1.012 if female else 1)


# --- E2.1: eGFR < 30 mL/min/1.73 m², else an active CKD stage 4-5 code ------------------------


@pytest.mark.parametrize(("value", "status"), [(29.9, "met"), (30, "not_met"), (12, "met")])
def test_synthea_egfr_in_ml_per_min_is_read_per_1_73_m2_and_is_strict(value: float, status: str) -> None:
    found = entry("E2.1", observation(SYNTHEA_EGFR, value, "mL/min", on=days_before(12)))
    assert found["status"] == status
    assert "read per 1.73 m²" in found["reason"]
    assert found["clears_on"] is None


def test_a_reported_ckd_epi_2021_egfr_per_1_73_m2() -> None:
    assert entry("E2.1", observation("98979-8", 28, "mL/min/{1.73_m2}", on=days_before(40)))["status"] == "met"
    assert entry("E2.1", observation("62238-1", 64, "mL/min/{1.73_m2}", on=days_before(40)))["status"] == "not_met"


@pytest.mark.parametrize(("gender", "status"), [("female", "met"), ("male", "not_met")])
def test_ckd_epi_2021_is_computed_from_creatinine_for_women_and_men(gender: str, status: str) -> None:
    """Creatinine 2.1 mg/dL at 41: about 29.8 for a woman (below 30), 39.8 for a man."""
    female = gender == "female"
    expected = ckd_epi_2021(2.1, 41, female)
    assert (expected < 30) is female
    found = entry("E2.1", patient(birth_date="1985-06-15", gender=gender), observation("2160-0", 2.1, "mg/dL", on=days_before(8)))
    assert found["status"] == status
    assert "CKD-EPI 2021" in found["reason"]
    shown = float(found["reason"].split(f"{gender}) eGFR ")[1].split(" ")[0])
    assert math.isclose(shown, expected, abs_tol=0.05)


def test_creatinine_in_umol_per_litre_is_converted_before_the_equation() -> None:
    """185.7 µmol/L ÷ 88.42 = 2.1 mg/dL."""
    found = entry("E2.1", patient(birth_date="1985-06-15", gender="female"), observation("14682-9", 185.7, "umol/L", on=days_before(8)))
    assert found["status"] == "met"


def test_a_reported_egfr_decides_before_the_computed_one() -> None:
    found = entry("E2.1", observation("98979-8", 45, "mL/min/{1.73_m2}", on=days_before(30)),
                  observation("2160-0", 4.0, "mg/dL", on=days_before(2)))
    assert found["status"] == "not_met"


@pytest.mark.parametrize("gender", ["other", "unknown", None])
def test_without_a_male_or_female_gender_no_estimate_is_made(gender: str | None) -> None:
    creatinine = observation("2160-0", 3.4, "mg/dL", on=days_before(8))
    alone = entry("E2.1", patient(gender=gender), creatinine)
    assert alone["status"] == "unknown"
    with_stage_4 = entry("E2.1", patient(gender=gender), creatinine, condition(*CKD_STAGE_4, onset="2024-02-01"))
    assert with_stage_4["status"] == "met"


@pytest.mark.parametrize(
    "ckd",
    [condition(*CKD_STAGE_4, onset="2024-02-01"), epic_problem("N18.5", None, "CKD stage 5"), epic_problem("N18.6", None, "ESRD")],
)
def test_no_egfr_input_in_90_days_and_an_active_ckd_stage_4_or_5_code_is_met(ckd: dict) -> None:
    old = observation(SYNTHEA_EGFR, 55, "mL/min", on=days_before(91))
    found = entry("E2.1", old, ckd)
    assert found["status"] == "met"
    assert found["clears_on"] is None


def test_no_egfr_input_and_no_ckd_code_is_unknown() -> None:
    found = entry("E2.1", condition("snomed", "431855005", "Chronic kidney disease stage 1", onset="2024-02-01"))
    assert found["status"] == "unknown"
    assert "no input for eGFR in the last 90 days" in found["reason"]


def test_a_resolved_ckd_stage_4_code_does_not_decide() -> None:
    assert entry("E2.1", condition(*CKD_STAGE_4, onset="2024-02-01", clinical_status="resolved"))["status"] == "unknown"


def test_a_recent_egfr_decides_over_a_ckd_stage_code() -> None:
    found = entry("E2.1", observation("98979-8", 48, "mL/min/{1.73_m2}", on=days_before(20)), condition(*CKD_STAGE_4, onset="2024-02-01"))
    assert found["status"] == "not_met"


def test_an_egfr_that_cannot_be_read_is_data_not_a_reason_to_fall_back() -> None:
    unreadable = observation("98979-8", 25, "mg/dL", on=days_before(20))
    found = entry("E2.1", unreadable, condition(*CKD_STAGE_4, onset="2024-02-01"))
    assert found["status"] == "unknown"


def test_measured_clearance_is_not_used_for_eGFR() -> None:
    assert entry("E2.1", observation("2164-2", 22, "mL/min", on=days_before(3)))["status"] == "unknown"


# --- E2.2: dialysis within 90 days, or an active dependence -----------------------------------


def test_a_synthea_dialysis_session_clears_91_days_after_it() -> None:
    session = procedure_period(SNOMED, RENAL_DIALYSIS, f"{days_before(30)}T09:00:00-05:00", f"{days_before(30)}T13:00:00-05:00")
    found = entry("E2.2", session)
    assert found["status"] == "met"
    assert found["clears_on"] == (days_before(30) + timedelta(days=91)).isoformat()


@pytest.mark.parametrize(("days", "status"), [(90, "met"), (91, "not_met"), (0, "met")])
def test_the_90_day_window_includes_both_ends(days: int, status: str) -> None:
    assert entry("E2.2", procedure("snomed", "302497006", days_before(days)))["status"] == status


def test_the_last_session_sets_the_clearing_date() -> None:
    found = entry("E2.2", procedure("snomed", "302497006", days_before(80)), procedure(CPT, "90935", days_before(3)))
    assert found["clears_on"] == (AS_OF + timedelta(days=88)).isoformat()


@pytest.mark.parametrize(("system", "code"), [("snomed", "71192002"), ("snomed", "714749008"), (CPT, "90945"), (CPT, "90999")])
def test_peritoneal_dialysis_crrt_and_cpt_codes_count(system: str, code: str) -> None:
    assert entry("E2.2", procedure(system, code, days_before(10)))["status"] == "met"


def test_removing_the_dialysis_catheter_is_not_dialysis() -> None:
    assert entry("E2.2", procedure("snomed", "10848006", days_before(10)))["status"] == "not_met"


def test_a_dialysis_procedure_without_a_date_is_unknown() -> None:
    assert entry("E2.2", procedure_on("302497006", {"performedString": "thrice weekly"}))["status"] == "unknown"


@pytest.mark.parametrize(
    "dependence",
    [epic_problem("Z99.2", "105502003", "Dependence on renal dialysis"), condition("snomed", "46177005", onset="2021-03-01")],
)
def test_an_active_dialysis_dependence_has_no_clearing_date(dependence: dict) -> None:
    alone = entry("E2.2", dependence)
    assert (alone["status"], alone["clears_on"]) == ("met", None)
    with_session = entry("E2.2", dependence, procedure("snomed", "302497006", days_before(20)))
    assert (with_session["status"], with_session["clears_on"]) == ("met", None)


def test_a_resolved_esrd_code_and_no_session_is_not_met() -> None:
    found = entry("E2.2", condition("snomed", "46177005", onset="2021-03-01", abatement="2023-05-01", clinical_status="resolved"))
    assert found["status"] == "not_met"


def test_ckd_stage_5_alone_is_not_need_for_dialysis() -> None:
    assert entry("E2.2", condition("snomed", "433146000", onset="2025-01-01"))["status"] == "not_met"


# --- E2.3: need for renal transplantation ---------------------------------------------------


@pytest.mark.parametrize(
    "record",
    [
        procedure("snomed", "711446003", "2009-09-07"),  # Synthea kidney_transplant 'Transplantation of kidney regime'
        procedure(CPT, "50360", "2015-01-12"),
        procedure("http://www.cms.gov/Medicare/Coding/ICD10", "0TY10Z0", "2018-04-02"),
        procedure_on("70536003", {"performedString": "as a child"}),  # undated: counts for 'ever' (G8)
        condition("icd10cm", "Z94.0", clinical_status="inactive", onset="2012-05-01"),
        condition("snomed", "161665007", "History of renal transplant", clinical_status="resolved", onset="2010-01-01"),
        condition("icd10cm", "T86.12", onset="2026-01-01"),
        condition("snomed", "698306007", "Awaiting transplantation of kidney", onset="2026-06-01"),
    ],
)
def test_a_transplant_its_status_or_waiting_for_a_kidney_is_met(record: dict) -> None:
    found = entry("E2.3", record)
    assert (found["status"], found["clears_on"]) == ("met", None)


@pytest.mark.parametrize(
    "record",
    [
        procedure("snomed", "175899003", "2019-01-01"),  # autotransplantation of kidney
        procedure(CPT, "50380", "2019-01-01"),  # renal autotransplantation
        procedure("snomed", "313030004", "2019-01-01"),  # donor nephrectomy for transplant
        condition("snomed", "698306007", onset="2024-06-01", clinical_status="resolved"),
        condition("icd10cm", "Z94.0", onset="2012-05-01", verification="refuted"),
        procedure("snomed", "711446003", days_before(-10)),  # after D
    ],
)
def test_autotransplant_donation_a_resolved_wait_and_a_refuted_status_are_not_met(record: dict) -> None:
    assert entry("E2.3", record)["status"] == "not_met"


def test_awaiting_an_organ_transplant_without_the_organ_is_unknown() -> None:
    found = entry("E2.3", epic_problem("Z76.82", None, "Awaiting organ transplant status"))
    assert found["status"] == "unknown"
    assert "confirm whether it is a kidney" in found["reason"]
    assert entry("E2.3", epic_problem("Z76.82", None, "Awaiting organ transplant", clinical="resolved"))["status"] == "not_met"


@pytest.mark.parametrize(("performed", "status"), [(date(2025, 11, 25), "unknown"), (date(2025, 11, 24), "not_met")])
def test_a_pretransplant_evaluation_within_12_months_is_unknown(performed: date, status: str) -> None:
    found = entry("E2.3", procedure("snomed", "428830000", performed))
    assert found["status"] == status
    assert found["clears_on"] is None


def test_no_transplant_record_is_not_met() -> None:
    assert entry("E2.3")["status"] == "not_met"
