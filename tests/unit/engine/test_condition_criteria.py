"""I3, E2, E4 (conditions), E5, E6, E14, E15: coded history, closed-world.

No matching Condition is not_met ("no record of ..."); refuted and entered-in-error
records are ignored; SNOMED CT and ICD-10-CM (with or without the dot) both count.
"""

from __future__ import annotations

import pytest
from fhir_builders import condition, days_before, observation
from trial_eval import criterion, evaluate, evidence_codes, status_of

SLE = "55464009"
LUPUS_UNSPECIFIED = "200936003"

# I3: SLE diagnosis


@pytest.mark.parametrize(
    ("system", "code"),
    [
        ("snomed", SLE),
        ("snomed", "68815009"),  # lupus nephritis: an SLE subtype
        ("icd10cm", "M32.14"),
        ("icd10cm", "M3214"),  # ICD-10-CM without its dot
        ("icd10cm", "M32.10"),
        ("icd10cm", "M32.8"),
        ("icd10cm", "M32.9"),
        ("icd10cm", "M329"),
    ],
)
def test_i3_sle_codes_are_met(system: str, code: str) -> None:
    assert status_of("I3", condition(system, code, onset="2018-05-01")) == "met"


@pytest.mark.parametrize("clinical_status", ["active", "inactive", "remission", "resolved", None])
def test_i3_sle_is_lifelong_whatever_its_clinical_status(clinical_status: str | None) -> None:
    assert status_of("I3", condition("snomed", SLE, clinical_status=clinical_status, onset="2018-05-01")) == "met"


def test_i3_synthea_lupus_erythematosus_is_unknown_with_the_reason() -> None:
    entry = criterion(evaluate(condition("snomed", LUPUS_UNSPECIFIED, "Lupus erythematosus", onset="2023-06-18")), "I3")
    assert entry["status"] == "unknown"
    assert "systemic" in entry["reason"]
    assert f"http://snomed.info/sct|{LUPUS_UNSPECIFIED}" in evidence_codes(entry)


@pytest.mark.parametrize(("code", "word"), [("L93.0", "cutaneous"), ("L93.1", "cutaneous"), ("M32.0", "drug-induced")])
def test_i3_cutaneous_or_drug_induced_lupus_alone_is_unknown(code: str, word: str) -> None:
    entry = criterion(evaluate(condition("icd10cm", code, onset="2020-01-01")), "I3")
    assert entry["status"] == "unknown"
    assert word in entry["reason"]


def test_i3_sle_code_decides_over_an_unspecified_lupus_code() -> None:
    both = [condition("snomed", LUPUS_UNSPECIFIED, onset="2020-01-01"), condition("icd10cm", "M32.9", onset="2021-01-01")]
    assert status_of("I3", *both) == "met"


def test_i3_no_lupus_record_is_not_met() -> None:
    assert status_of("I3") == "not_met"
    assert status_of("I3", condition("snomed", "44054006", "Diabetes mellitus type 2")) == "not_met"


@pytest.mark.parametrize("verification", ["refuted", "entered-in-error"])
def test_i3_refuted_or_erroneous_sle_is_ignored(verification: str) -> None:
    record = condition("snomed", SLE, clinical_status=None, verification=verification, onset="2018-05-01")
    assert status_of("I3", record) == "not_met"


@pytest.mark.parametrize("verification", ["unconfirmed", "provisional", "differential"])
def test_i3_unconfirmed_sle_is_unknown_never_met(verification: str) -> None:
    """Revision of 2026-12: an unconfirmed diagnosis gives an inclusion unknown, not met."""
    entry = criterion(evaluate(condition("snomed", SLE, verification=verification)), "I3")
    assert entry["status"] == "unknown"
    assert "not confirmed" in entry["reason"]


# E2: CNS disease present at any time in [D-56, D]


@pytest.mark.parametrize(("onset_days", "expected"), [(56, "met"), (57, "not_met"), (0, "met")])
def test_e2_single_event_counts_on_its_onset_day(onset_days: int, expected: str) -> None:
    seizure = condition("snomed", "91175000", "Seizure", clinical_status="resolved", onset=days_before(onset_days))
    entry = criterion(evaluate(seizure), "E2")
    assert entry["status"] == expected
    if expected == "met":
        assert entry["clears_on"] == days_before(onset_days - 57).isoformat()


@pytest.mark.parametrize(("abatement_days", "expected"), [(56, "met"), (57, "not_met")])
def test_e2_abated_condition_is_present_until_its_abatement(abatement_days: int, expected: str) -> None:
    stroke = condition("snomed", "230690007", "CVA", clinical_status="resolved", onset=days_before(200),
                       abatement=days_before(abatement_days))
    entry = criterion(evaluate(stroke), "E2")
    assert entry["status"] == expected
    if expected == "met":
        assert entry["clears_on"] == days_before(abatement_days - 57).isoformat()  # end + 57 days


def test_e2_active_condition_with_old_onset_is_ongoing_without_clears_on() -> None:
    epilepsy = condition("icd10cm", "G40.909", clinical_status="active", onset="2010-03-01")
    entry = criterion(evaluate(epilepsy), "E2")
    assert entry["status"] == "met"
    assert entry["clears_on"] is None


def test_e2_no_onset_uses_recorded_date() -> None:
    psychosis = condition("icd10cm", "F29", clinical_status="resolved", recorded=days_before(10))
    assert status_of("E2", psychosis) == "met"
    old = condition("icd10cm", "F29", clinical_status="resolved", recorded=days_before(100))
    assert status_of("E2", old) == "not_met"


def test_e2_onset_after_d_does_not_count() -> None:
    assert status_of("E2", condition("snomed", "230690007", onset=days_before(-3))) == "not_met"


def test_e2_no_cns_record_is_not_met() -> None:
    assert status_of("E2", condition("snomed", SLE)) == "not_met"


# E4: hepatitis / severe liver disease conditions (serology is in test_serology_criteria.py)


def test_e4_active_hepatitis_c_is_met() -> None:
    assert status_of("E4", condition("icd10cm", "B18.2", onset="2019-01-01")) == "met"
    assert status_of("E4", condition("snomed", "128302006", onset="2019-01-01")) == "met"


def test_e4_resolved_hepatitis_does_not_make_e4_met() -> None:
    assert status_of("E4", condition("icd10cm", "B18.2", clinical_status="resolved", abatement="2020-01-01")) != "met"


def test_e4_history_of_cirrhosis_counts_whatever_its_clinical_status() -> None:
    assert status_of("E4", condition("snomed", "19943007", clinical_status="inactive", onset="2015-01-01")) == "met"
    assert status_of("E4", condition("icd10cm", "K74.60", clinical_status="resolved")) == "met"


# E5, E14, E15: active conditions


@pytest.mark.parametrize(
    ("cid", "system", "code"),
    [
        ("E5", "icd10cm", "D80.1"),
        ("E5", "icd10cm", "D83.9"),
        ("E5", "icd10cm", "B20"),
        ("E5", "icd10cm", "A41.9"),
        ("E5", "icd10cm", "K25.9"),
        ("E5", "snomed", "397825006"),
        ("E14", "snomed", "4740000"),
        ("E14", "icd10cm", "B02.9"),
        ("E14", "icd10cm", "A15.0"),
        ("E15", "icd10cm", "F32.9"),
        ("E15", "icd10cm", "R45.851"),
    ],
)
def test_active_condition_makes_the_exclusion_met(cid: str, system: str, code: str) -> None:
    assert status_of(cid, condition(system, code, onset=days_before(100))) == "met"


@pytest.mark.parametrize(
    ("cid", "system", "code"),
    [("E5", "icd10cm", "K25.9"), ("E14", "snomed", "4740000"), ("E15", "icd10cm", "F32.9")],
)
def test_resolved_condition_does_not_count(cid: str, system: str, code: str) -> None:
    resolved = condition(system, code, clinical_status="resolved", onset="2015-01-01", abatement="2015-06-01")
    assert status_of(cid, resolved) == "not_met"


def test_condition_without_clinical_status_and_without_abatement_is_active() -> None:
    assert status_of("E15", condition("icd10cm", "F32.9", clinical_status=None)) == "met"


@pytest.mark.parametrize("clinical_status", ["active", "inactive", "resolved"])
@pytest.mark.parametrize(("system", "code"), [("icd10cm", "B20"), ("icd10cm", "Z21"), ("snomed", "86406008")])
def test_e14_any_hiv_diagnosis_counts_whatever_its_clinical_status(system: str, code: str, clinical_status: str) -> None:
    assert status_of("E14", condition(system, code, clinical_status=clinical_status, onset="2012-01-01")) == "met"


def test_e14_refuted_hiv_does_not_count() -> None:
    hiv = condition("icd10cm", "B20", clinical_status=None, verification="refuted")
    assert status_of("E14", hiv) == "not_met"


def test_e14_latent_tuberculosis_does_not_count() -> None:
    assert status_of("E14", condition("icd10cm", "Z22.7", onset=days_before(300))) == "not_met"


def test_no_records_make_coded_exclusions_not_met() -> None:
    result = evaluate()
    for cid in ("E2", "E5", "E7", "E8", "E10", "E11", "E12", "E13", "E14", "E15"):
        entry = criterion(result, cid)
        assert entry["status"] == "not_met", cid
        assert entry["reason"].startswith("no "), cid


# E6: pregnancy, lactation, hCG; contraception is manual, so E6 is never not_met


def test_e6_active_pregnancy_is_met() -> None:
    assert status_of("E6", condition("snomed", "77386006", "Pregnancy", onset=days_before(60))) == "met"
    assert status_of("E6", condition("icd10cm", "Z3A.12", onset=days_before(60))) == "met"


def test_e6_lactation_is_met() -> None:
    assert status_of("E6", condition("snomed", "169750002", onset=days_before(60))) == "met"


@pytest.mark.parametrize(("age_days", "expected"), [(30, "met"), (31, "unknown")])
def test_e6_positive_hcg_within_30_days(age_days: int, expected: str) -> None:
    hcg = observation("2106-3", value_code=("snomed", "10828004", "Positive"), on=days_before(age_days))
    assert status_of("E6", hcg) == expected


def test_e6_negative_hcg_leaves_contraception_to_confirm() -> None:
    hcg = observation("2106-3", value_code=("snomed", "260385009", "Negative"), on=days_before(3))
    entry = criterion(evaluate(hcg), "E6")
    assert entry["status"] == "unknown"
    assert "contraception" in entry["reason"]


def test_e6_resolved_pregnancy_does_not_count() -> None:
    past = condition("snomed", "77386006", clinical_status="resolved", onset="2019-01-01", abatement="2019-09-01")
    assert status_of("E6", past) == "unknown"


def test_i3_drug_induced_and_unspecified_lupus_together_stay_unknown() -> None:
    assert status_of("I3", condition("icd10cm", "M32.0"), condition("snomed", LUPUS_UNSPECIFIED)) == "unknown"


def test_e2_condition_without_any_date_is_present_at_d() -> None:
    assert status_of("E2", condition("snomed", "91175000", clinical_status="resolved")) == "met"
