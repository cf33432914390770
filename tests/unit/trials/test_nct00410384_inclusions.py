"""BLISS-76 (NCT00410384) inclusions I1-I5, read from the evaluation JSON of the shipped
trial file (criteria-nct00410384.md).

Fixtures: US Core Condition / Observation shapes (fhir_builders), Epic problem-list
Conditions (ehr_shapes.epic_problem), Mayo-style ANA titers (valueRatio), Synthea-style
MedicationRequests.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from ehr_shapes import at, epic_problem, lab_value, titer_ratio
from fhir_builders import AS_OF, condition, days_before, dosage, medication, medication_request, observation, patient
from nct00410384_records import HCQ, LOCAL_SCORES, NEGATIVE, POSITIVE, bliss76_variant, entry, sledai, status

# --- I1 SLE diagnosis ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ([condition("snomed", "55464009", onset="2019-05-01")], "met"),
        ([condition("snomed", "55464009", onset="2010-05-01", clinical_status="inactive")], "met"),  # lifelong diagnosis
        ([epic_problem("M32.14", text="Glomerular disease in SLE", onset={"onsetDateTime": "2021-03"})], "met"),
        ([condition("snomed", "200936003", onset="2019-05-01")], "unknown"),  # Synthea's bare lupus code
        ([condition("icd10cm", "L93.0", onset="2019-05-01")], "unknown"),  # discoid only
        ([condition("icd10cm", "M32.0", onset="2019-05-01")], "unknown"),  # drug-induced only
        ([condition("snomed", "55464009", onset="2019-05-01", verification="refuted")], "not_met"),
        ([condition("snomed", "38341003", onset="2019-05-01")], "not_met"),  # hypertension: no lupus record
    ],
)
def test_i1_sle_diagnosis(resources, expected) -> None:
    assert status("I1", *resources) == expected


def test_i1_bare_lupus_says_why_it_is_unknown() -> None:
    found = entry("I1", condition("snomed", "200936003", onset="2019-05-01"))
    assert "without 'systemic'" in found["reason"] and "ACR" in found["reason"]


def test_i1_an_unconfirmed_sle_diagnosis_never_meets_an_inclusion() -> None:
    assert status("I1", condition("snomed", "55464009", onset="2019-05-01", verification="provisional")) == "unknown"


# --- I2 active SLE (SELENA-SLEDAI ≥ 6, a local code) ----------------------------------------

def test_i2_without_a_local_code_is_manual() -> None:
    found = entry("I2", sledai(10, 5))
    assert found["status"] == "unknown"
    assert "no local code is configured" in found["reason"] and "SELENA-SLEDAI ≥ 6" in found["reason"]


@pytest.mark.parametrize(
    ("scores", "expected"),
    [([(6, 10)], "met"), ([(5, 10)], "not_met"), ([(12, 100), (4, 10)], "not_met"), ([(4, 100), (6, 10)], "met"),
     ([(8, 91)], "unknown"), ([(8, 90)], "met")],
)
def test_i2_with_a_site_code_the_most_recent_score_in_90_days_decides(tmp_path, scores, expected) -> None:
    site = bliss76_variant(tmp_path, ("  selena_sledai: []", f'  selena_sledai: [{{system: "{LOCAL_SCORES}", code: "SELENA-SLEDAI"}}]'))
    assert entry("I2", *[sledai(s, d) for s, d in scores], trial=site)["status"] == expected


# --- I3 autoantibody-positive ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ([observation("8061-4", interpretation="POS", on="2019-04-20")], "met"),
        ([observation("5130-0", value_code=POSITIVE, on="2015-02-01")], "met"),  # anti-dsDNA, any date
        ([lab_value("5048-4", titer_ratio(160), effective=at("2024-03-03T10:00:00Z"))], "met"),
        ([lab_value("5048-4", titer_ratio(40), effective=at("2024-03-03T10:00:00Z"))], "not_met"),  # below 1:80
        ([observation("8061-4", value_code=NEGATIVE, on="2024-01-01"), observation("5130-0", value_code=NEGATIVE, on="2024-01-01")], "not_met"),
        ([observation("8061-4", value_code=NEGATIVE, on="2026-01-01"), observation("8061-4", interpretation="POS", on="2012-01-01")], "met"),
        ([observation("8061-4", value_string="Equivocal", on="2024-01-01")], "unknown"),
        ([], "unknown"),
    ],
)
def test_i3_any_positive_ana_or_anti_dsdna_ever(resources, expected) -> None:
    assert status("I3", *resources) == expected


# --- I4 stable SLE treatment ------------------------------------------------------------------


def test_i4_a_standard_drug_ongoing_since_30_days_or_more_is_met() -> None:
    assert status("I4", medication_request(HCQ, days_before(30), dose=dosage(200, per_day=2))) == "met"


def test_i4_a_drug_started_less_than_30_days_ago_clears_on_start_plus_30() -> None:
    started = days_before(29)
    found = entry("I4", medication_request(HCQ, started, dose=dosage(200, per_day=2)))
    assert found["status"] == "not_met"
    assert found["clears_on"] == (started + timedelta(days=30)).isoformat()
    assert "less than 30 days ago" in found["reason"]


def test_i4_no_medication_records_at_all_is_unknown() -> None:
    found = entry("I4")
    assert found["status"] == "unknown" and found["reason"] == "no medication records at all"


def test_i4_records_exist_but_none_is_a_standard_drug() -> None:
    lisinopril = medication_request(medication("314076", display="lisinopril 10 MG Oral Tablet"), "2020-01-01")
    found = entry("I4", lisinopril)
    assert found["status"] == "not_met" and found["clears_on"] is None


def test_i4_a_topical_steroid_is_no_regimen_drug() -> None:
    cream = medication_request(medication("106258", display="hydrocortisone 10 MG/ML Topical Cream"), "2020-01-01")
    assert status("I4", cream) == "not_met"


# --- I5 age 18 or older (registry structured field) ----------------------------------------------


@pytest.mark.parametrize(
    ("birth", "expected"),
    [
        (date(AS_OF.year - 18, AS_OF.month, AS_OF.day), "met"),  # the 18th birthday is D
        (date(AS_OF.year - 18, AS_OF.month, AS_OF.day) + timedelta(days=1), "not_met"),  # 18 tomorrow
        (date(1940, 1, 1), "met"),  # no upper bound
        (f"{AS_OF.year - 18}", "unknown"),  # a year alone: 17 or 18 on D
        (f"{AS_OF.year - 30}", "met"),
    ],
)
def test_i5_completed_years_at_d(birth, expected) -> None:
    found = entry("I5", patient(birth_date=birth))
    assert found["status"] == expected
    assert found["clears_on"] is None


def test_i5_no_birth_date_is_unknown() -> None:
    assert status("I5", patient(birth_date=None)) == "unknown"
