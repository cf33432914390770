"""NCT03543839 E6-E10 (criteria-nct03543839.md with G10, G11): hemoglobin, platelets, ANC,
AST/ALT ×ULN and creatinine clearance per 1.73 m², through the shipped trial file.
D = 2026-11-25; "recent" is the most recent result of [D - 90, D].

Results are shaped like the US Core Observation Lab examples (UCUM valueQuantity with
system and code), Oracle Health (Cerner) lab results (a code set 72 coding before LOINC,
`issued` beside the effective time, a unit written without a code) and Synthea's (eGFR
33914-3 in mL/min); heights and weights like the US Core vital signs.
"""

from __future__ import annotations

import pytest
from ehr_shapes import at, lab as oracle_lab, quantity
from fhir_builders import days_before, observation, patient
from nct03543839_records import entry, lab, status

HB = "718-7"
HB_MOLAR = "59260-0"
PLATELETS = "777-3"
ANC = "751-8"
WBC = "6690-2"
NEUTROPHILS = "770-8"
ALT = "1742-6"
AST = "1920-8"


def oracle(loinc: str, value: float, unit: str, code: str | None = None, days: int = 3) -> dict:
    """An Oracle Health lab result: the unit as text, with its UCUM code only when given."""
    return oracle_lab(loinc, effective=at(f"{days_before(days).isoformat()}T07:40:00-05:00"), value=quantity(value, unit, code))


# E6: hemoglobin < 8.0 g/dL.

@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (lab(HB, 7.9, "g/dL"), "met"),
        (lab(HB, 8.0, "g/dL"), "not_met"),
        (lab(HB, 79, "g/L"), "met"),
        (lab(HB, 80, "g/L"), "not_met"),
        (lab(HB_MOLAR, 4.96, "mmol/L"), "met"),  # 7.99 g/dL
        (lab(HB_MOLAR, 4.97, "mmol/L"), "not_met"),  # 8.007 g/dL
        (oracle(HB, 7.2, "g/dL"), "met"),  # a unit without code that is exact UCUM
    ],
)
def test_hemoglobin_below_8_g_dl_in_any_unit(result, expected) -> None:
    assert status("E6", result) == expected


def test_a_unit_that_is_not_ucum_is_unreadable_never_not_met() -> None:
    result = entry("E6", oracle(HB, 9.1, "gm/dL"))
    assert result["status"] == "unknown"
    assert "gm/dL" in result["reason"]


def test_the_most_recent_hemoglobin_decides_and_an_old_one_is_no_result() -> None:
    assert status("E6", lab(HB, 7.5, "g/dL", days=30), lab(HB, 9.0, "g/dL", days=5)) == "not_met"
    assert status("E6", lab(HB, 7.5, "g/dL", days=91)) == "unknown"


# E7: platelets < 50,000/mm³ (= 50 × 10³/µL = 50 × 10⁹/L).

@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (lab(PLATELETS, 49, "10*3/uL"), "met"),
        (lab(PLATELETS, 50, "10*3/uL"), "not_met"),
        (lab(PLATELETS, 49000, "/uL"), "met"),
        (lab(PLATELETS, 50000, "/mm3"), "not_met"),
        (lab(PLATELETS, 45, "10*9/L"), "met"),
        (lab(PLATELETS, 50, "10*9/L"), "not_met"),
        (lab("26515-7", 30, "10*3/uL"), "met"),
        (oracle(PLATELETS, 48, "K/uL", "10*3/uL"), "met"),
    ],
)
def test_platelets_below_50_thousand_per_mm3(result, expected) -> None:
    assert status("E7", result) == expected


def test_no_recent_platelet_count_is_unknown() -> None:
    assert status("E7") == "unknown"


# E8: ANC < 1.0 × 10³/mm³, reported or derived (G11).

@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (lab(ANC, 0.9, "10*3/uL"), "met"),
        (lab(ANC, 1.0, "10*3/uL"), "not_met"),
        (lab(ANC, 999, "/uL"), "met"),
        (lab(ANC, 1000, "/mm3"), "not_met"),
        (lab("26499-4", 0.8, "10*9/L"), "met"),
    ],
)
def test_a_reported_anc(result, expected) -> None:
    assert status("E8", result) == expected


@pytest.mark.parametrize(("percent", "expected"), [(24, "met"), (25, "not_met")])
def test_anc_derived_from_wbc_and_neutrophil_percent_of_one_draw(percent, expected) -> None:
    """WBC 4.0 × 10³/µL × 24 % = 0.96 × 10³/µL; × 25 % = 1.0."""
    result = entry("E8", lab(WBC, 4.0, "10*3/uL"), lab(NEUTROPHILS, percent, "%"))
    assert result["status"] == expected
    assert "derived" in result["reason"]


def test_wbc_and_percent_of_different_draws_derive_nothing() -> None:
    assert status("E8", lab(WBC, 4.0, "10*3/uL", days=3), lab(NEUTROPHILS, 10, "%", days=4)) == "unknown"


def test_a_reported_anc_decides_over_a_derivation() -> None:
    assert status("E8", lab(ANC, 2.1, "10*3/uL", days=10), lab(WBC, 4.0, "10*3/uL"), lab(NEUTROPHILS, 10, "%")) == "not_met"


# E9: AST or ALT > 2.5 × ULN unless related to SLE: never met; unknown above, or with a test missing.

@pytest.mark.parametrize(
    ("alt", "ast", "expected"),
    [
        (lab(ALT, 100, "U/L"), lab(AST, 30, "U/L"), "not_met"),  # exactly 2.5 × the default 40 U/L
        (lab(ALT, 101, "U/L"), lab(AST, 30, "U/L"), "unknown"),  # 2.525
        (lab(ALT, 30, "U/L"), lab(AST, 88, "U/L", ref_high=35), "unknown"),  # 2.51 × the lab's ULN
        (lab(ALT, 30, "U/L"), lab(AST, 87.5, "U/L", ref_high=35), "not_met"),  # 2.5 × the lab's ULN
        (lab(ALT, 400, "[IU]/L"), lab(AST, 900, "U/L"), "unknown"),  # far above: still never met
    ],
)
def test_above_2_5_times_uln_is_to_confirm_never_met(alt, ast, expected) -> None:
    assert status("E9", alt, ast) == expected


def test_above_2_5_times_uln_says_what_to_confirm() -> None:
    result = entry("E9", lab(ALT, 150, "U/L"), lab(AST, 30, "U/L"))
    assert result["reason"].startswith("above 2.5 × ULN; confirm at screening whether related to SLE")


@pytest.mark.parametrize("present", [lab(ALT, 20, "U/L"), lab(AST, 20, "U/L")])
def test_one_test_missing_is_unknown(present) -> None:
    assert status("E9", present) == "unknown"
    assert status("E9") == "unknown"


# E10: creatinine clearance ≤ 25 mL/min per 1.73 m², by the first G10 step with an input.

@pytest.mark.parametrize(("value", "expected"), [(25, "met"), (25.1, "not_met"), (12, "met")])
def test_a_measured_clearance_per_1_73_m2_is_inclusive(value, expected) -> None:
    result = entry("E10", lab("12195-4", value, "mL/min/{1.73_m2}"))
    assert result["status"] == expected
    assert "measured creatinine clearance per 1.73 m²" in result["reason"]


def test_a_measured_clearance_is_normalised_by_mosteller_bsa() -> None:
    """170 cm, 80 kg: BSA 1.944 m²; 28 mL/min × 1.73 ÷ 1.944 = 24.9; 30 mL/min = 26.7."""
    height = observation("8302-2", 170, "cm", on="2024-01-01", category="vital-signs")
    body = observation("29463-7", 80, "kg", on=days_before(20), category="vital-signs")
    met = entry("E10", lab("2164-2", 28, "mL/min"), height, body)
    assert met["status"] == "met"
    assert "BSA" in met["reason"]
    assert status("E10", lab("2164-2", 30, "mL/min"), height, body) == "not_met"


def test_without_a_height_the_measured_step_yields_nothing() -> None:
    body = observation("29463-7", 80, "kg", on=days_before(20), category="vital-signs")
    assert status("E10", lab("2164-2", 10, "mL/min"), body) == "unknown"
    assert status("E10", lab("2164-2", 10, "mL/min"), body, lab("62238-1", 60, "mL/min/{1.73_m2}")) == "not_met"


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (lab("33914-3", 24, "mL/min"), "met"),  # Synthea writes the eGFR in mL/min
        (lab("62238-1", 25, "mL/min/{1.73_m2}"), "met"),
        (lab("62238-1", 26, "mL/min/{1.73_m2}"), "not_met"),
    ],
)
def test_a_reported_egfr_is_an_estimate(result, expected) -> None:
    entry_ = entry("E10", result)
    assert entry_["status"] == expected
    assert "estimated" in entry_["reason"]


def test_a_step_earlier_in_order_decides_over_a_later_one() -> None:
    assert status("E10", lab("12195-4", 40, "mL/min/{1.73_m2}"), lab("62238-1", 20, "mL/min/{1.73_m2}")) == "not_met"


@pytest.mark.parametrize(
    ("creatinine", "gender", "expected"),
    [(2.5, "female", "met"), (2.2, "female", "not_met"), (2.5, "male", "not_met"), (3.2, "male", "met"), (2.5, "other", "unknown")],
)
def test_ckd_epi_2021_from_serum_creatinine_age_and_sex(creatinine, gender, expected) -> None:
    """Born 1985-06-15 (41 at D): female 2.5 mg/dL gives 24.2, 2.2 gives 28.2; male 2.5 gives
    32.3, 3.2 gives 24.0; gender other: the step yields nothing."""
    result = entry("E10", lab("2160-0", creatinine, "mg/dL"), patient(gender=gender))
    assert result["status"] == expected
    if expected != "unknown":
        assert "CKD-EPI 2021" in result["reason"]


def test_no_renal_input_is_unknown() -> None:
    assert status("E10") == "unknown"
