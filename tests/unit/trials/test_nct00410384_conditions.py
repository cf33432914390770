"""BLISS-76 (NCT00410384) E1 (pregnant or nursing), E6 (active CNS lupus) and E8 (current
drug or alcohol abuse or dependence), read from the evaluation JSON.

Fixtures: US Core problem-list Conditions (fhir_builders.condition), Epic problem-list
Conditions with an IMO coding first and ICD-10-CM under its OID (ehr_shapes.epic_problem),
Oracle Health Conditions (code set 400 first, SNOMED CT under its OID), Synthea's findings
(361055000 "Misuses drugs", 6525002 "Dependent drug abuse"), and hCG results as US labs send
them (a urine qualitative test with a coded value, a quantitative serum hCG in m[IU]/mL).
"""

from __future__ import annotations

import pytest
from ehr_shapes import cerner_condition, epic_problem
from fhir_builders import condition, days_before, observation
from nct00410384_records import NEGATIVE, POSITIVE, entry, status

# --- E1 pregnant or nursing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ([condition("snomed", "77386006", onset=days_before(40))], "met"),  # active pregnancy
        ([epic_problem("Z34.90", text="Supervision of normal pregnancy", onset={"onsetDateTime": days_before(200).isoformat()})], "met"),
        ([condition("snomed", "77386006", onset=days_before(300))], "unknown"),  # still open after 294 days
        ([condition("snomed", "77386006", onset=days_before(300), abatement=days_before(30), clinical_status="resolved")], "not_met"),
        ([condition("snomed", "169750002", onset=days_before(400))], "met"),  # breast-feeding: not time-limited
        ([observation("2106-3", value_code=POSITIVE, on=days_before(10))], "met"),  # urine hCG
        ([observation("2106-3", value_code=POSITIVE, on=days_before(31))], "not_met"),  # outside 30 days
        ([observation("21198-7", 30, "m[IU]/mL", on=days_before(3))], "met"),  # ≥ 25 positive
        # 5-25 equivocal: neither positive nor negative (G12), so "otherwise": not_met, as NCT04221477 E1
        ([observation("21198-7", 12, "m[IU]/mL", on=days_before(3))], "not_met"),
        ([observation("21198-7", 12, "m[IU]/mL", on=days_before(3)), observation("2106-3", value_code=POSITIVE, on=days_before(5))], "met"),
        ([observation("21198-7", 12, "mIU/mL", ucum=False, on=days_before(3))], "unknown"),  # not UCUM: unreadable
        ([observation("21198-7", 3, "m[IU]/mL", on=days_before(3))], "not_met"),
        ([observation("2106-3", value_code=NEGATIVE, on=days_before(3))], "not_met"),
    ],
)
def test_e1_pregnancy_lactation_or_a_positive_hcg(resources, expected) -> None:
    assert status("E1", *resources) == expected


def test_e1_an_equivocal_hcg_left_out_is_named_in_the_reason() -> None:
    found = entry("E1", observation("21198-7", 10, "m[IU]/mL", on=days_before(17)))
    assert found["status"] == "not_met"
    assert "hCG neither positive nor negative, left out: 10 m[IU]/mL on" in found["reason"]


def test_e1_not_met_still_asks_for_a_screening_pregnancy_test() -> None:
    found = entry("E1")
    assert found["status"] == "not_met"
    assert "a pregnancy test at screening is still required" in found["reason"]
    assert found["clears_on"] is None


# --- E6 active CNS lupus -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ([condition("snomed", "95644001", onset="2025-03-01")], "met"),  # SLE encephalitis
        ([cerner_condition("1144942002", "Neuropsychiatric disorder due to SLE", onset={"onsetDateTime": "2024-01-10"})], "met"),
        ([condition("snomed", "95644001", onset="2020-03-01", clinical_status="resolved")], "not_met"),  # not active
        ([epic_problem("G40.909", text="Epilepsy, unspecified", onset={"onsetDateTime": "2023"})], "unknown"),
        ([condition("snomed", "230690007", onset="2026-10-01")], "unknown"),  # a stroke, not coded as lupus
        ([condition("icd10cm", "Z86.73", onset="2020-01-01")], "not_met"),  # a history code is no event
        ([], "not_met"),
    ],
)
def test_e6_active_npsle_or_an_unexplained_cns_event(resources, expected) -> None:
    found = entry("E6", *resources)
    assert found["status"] == expected
    assert found["clears_on"] is None


def test_e6_a_cns_event_asks_whether_it_is_lupus() -> None:
    found = entry("E6", condition("snomed", "91175000", onset="2026-02-01"))
    assert "confirm whether it is CNS lupus" in found["reason"]


def test_e6_npsle_decides_over_an_unexplained_event() -> None:
    assert status("E6", condition("snomed", "91175000", onset="2026-02-01"), condition("snomed", "95644001", onset="2025-03-01")) == "met"


# --- E8 current drug or alcohol abuse or dependence ---------------------------------------------------


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ([epic_problem("F10.20", text="Alcohol dependence, uncomplicated", onset={"onsetDateTime": "2024-05-01"})], "met"),
        ([condition("icd10cm", "F11.10", onset="2025-01-01")], "met"),  # opioid abuse
        ([condition("snomed", "7200002", onset="2010-01-01")], "met"),  # alcoholism
        ([condition("snomed", "6525002", onset="2019-01-01")], "met"),  # Synthea's dependent drug abuse
        ([condition("icd10cm", "F10.21", onset="2024-05-01")], "not_met"),  # in remission
        ([condition("icd10cm", "F11.11", onset="2024-05-01")], "not_met"),  # in remission
        ([condition("icd10cm", "F12.90", onset="2024-05-01")], "not_met"),  # cannabis use: a use code
        ([condition("icd10cm", "F17.210", onset="2024-05-01")], "not_met"),  # nicotine
        ([condition("icd10cm", "F10.20", onset="2015-01-01", abatement="2018-01-01", clinical_status="resolved")], "not_met"),
        ([], "not_met"),
    ],
)
def test_e8_an_active_substance_use_disorder(resources, expected) -> None:
    found = entry("E8", *resources)
    assert found["status"] == expected
    assert found["clears_on"] is None


@pytest.mark.parametrize("code", ["361055000", "10939881000119105"])
def test_e8_a_screening_finding_is_unknown(code) -> None:
    found = entry("E8", condition("snomed", code, onset=days_before(60)))
    assert found["status"] == "unknown"
    assert "confirm abuse or dependence" in found["reason"]
