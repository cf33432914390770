"""E8 (live vaccines), E1 (hemodialysis, dialysis dependence) and E7 (biologic allergy)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fhir_builders import allergy, condition, days_before, immunization, medication, observation, procedure
from trial_eval import criterion, evaluate, status_of

MMR = "03"

# E8: a completed live vaccine in [D-28, D]; clears_on = date + 29


@pytest.mark.parametrize(("age_days", "expected"), [(0, "met"), (28, "met"), (29, "not_met")])
def test_e8_live_vaccine_within_28_days(age_days: int, expected: str) -> None:
    entry = criterion(evaluate(immunization(MMR, days_before(age_days))), "E8")
    assert entry["status"] == expected
    if expected == "met":
        assert entry["clears_on"] == (days_before(age_days) + timedelta(days=29)).isoformat()


@pytest.mark.parametrize("cvx", ["3", "21", "121", "19", "111"])
def test_e8_live_vaccine_codes(cvx: str) -> None:
    """CVX sent without its leading zero ("3") is still MMR."""
    assert status_of("E8", immunization(cvx, days_before(5))) == "met"


@pytest.mark.parametrize("cvx", ["187", "140", "208"])
def test_e8_inactivated_vaccines_do_not_count(cvx: str) -> None:
    assert status_of("E8", immunization(cvx, days_before(5))) == "not_met"


def test_e8_vaccine_not_given_is_ignored() -> None:
    assert status_of("E8", immunization(MMR, days_before(5), status="not-done")) == "not_met"


# E1: hemodialysis procedure in [D-90, D] or dialysis dependence / ESRD condition

NORMAL_KIDNEY_LABS = [
    observation("2160-0", 0.9, "mg/dL", on=days_before(5)),
    observation("2889-4", 0.2, "g/(24.h)", on=days_before(5)),
]


def test_e1_not_met_with_normal_labs_and_no_kidney_history() -> None:
    assert status_of("E1", *NORMAL_KIDNEY_LABS) == "not_met"


@pytest.mark.parametrize(("age_days", "expected"), [(90, "met"), (91, "not_met")])
@pytest.mark.parametrize(("system", "code"), [("snomed", "302497006"), ("snomed", "265764009")])
def test_e1_hemodialysis_within_90_days(system: str, code: str, age_days: int, expected: str) -> None:
    assert status_of("E1", *NORMAL_KIDNEY_LABS, procedure(system, code, days_before(age_days))) == expected


@pytest.mark.parametrize(("system", "code"), [("snomed", "46177005"), ("icd10cm", "N18.6"), ("icd10cm", "Z99.2")])
def test_e1_active_dialysis_dependence_is_met_without_clears_on(system: str, code: str) -> None:
    entry = criterion(evaluate(*NORMAL_KIDNEY_LABS, condition(system, code, onset="2022-01-01")), "E1")
    assert entry["status"] == "met"
    assert entry["clears_on"] is None


def test_e1_ckd_stage_5_alone_is_not_dialysis() -> None:
    assert status_of("E1", *NORMAL_KIDNEY_LABS, condition("icd10cm", "N18.5", onset="2022-01-01")) == "not_met"


def test_e1_active_lupus_nephritis_needs_confirmation() -> None:
    entry = criterion(evaluate(*NORMAL_KIDNEY_LABS, condition("icd10cm", "M32.14", onset="2023-01-01")), "E1")
    assert entry["status"] == "unknown"
    assert "prohibited medications" in entry["reason"]


def test_e1_resolved_lupus_nephritis_does_not_count() -> None:
    nephritis = condition("snomed", "68815009", clinical_status="resolved", onset="2015-01-01", abatement="2016-01-01")
    assert status_of("E1", *NORMAL_KIDNEY_LABS, nephritis) == "not_met"


# E7: allergy history to a humanized biologic, whatever its clinical status


@pytest.mark.parametrize(
    "substance",
    [
        medication("121191", "rituximab"),
        medication(text="Infliximab"),
        medication(text="ocrelizumab"),  # any -mab
        medication(text="abatacept"),  # any -cept
        # a brand with its INN in brackets, as problem and allergy lists write a substance by text
        medication(text="Xolair (omalizumab)"),
        medication(text="Eylea (aflibercept)"),
        medication(text="omalizumab, subcutaneous"),
    ],
)
@pytest.mark.parametrize("clinical_status", ["active", "inactive", "resolved"])
def test_e7_allergy_to_a_biologic(substance: dict, clinical_status: str) -> None:
    assert status_of("E7", allergy(substance, clinical_status=clinical_status)) == "met"


def test_e7_other_allergies_do_not_count() -> None:
    assert status_of("E7", allergy(medication("7980", "penicillin G"))) == "not_met"


@pytest.mark.parametrize("verification", ["refuted", "entered-in-error"])
def test_e7_refuted_allergy_is_ignored(verification: str) -> None:
    refuted = allergy(medication("121191", "rituximab"), clinical_status=None, verification=verification)
    assert status_of("E7", refuted) == "not_met"
