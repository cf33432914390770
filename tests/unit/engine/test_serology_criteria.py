"""I5 (ANA / anti-dsDNA) and the serology parts of E4 (HBsAg, anti-HCV, anti-HBc, HBV DNA).

Positivity: interpretation decides where present; else a coded value, a titer (ANA
positive from 1:80), text, or a quantity above its reference range. Equivocal results
count as neither.
"""

from __future__ import annotations

import pytest
from fhir_builders import days_before, observation
from trial_eval import criterion, evaluate, status_of

ANA = "8061-4"
ANA_TITER = "5048-4"
ANTI_DSDNA = "5130-0"
HBSAG = "5195-3"
ANTI_HCV = "16128-1"
ANTI_HBC = "16933-4"
HBV_DNA = "29610-3"
HBV_VIRAL_LOAD = "29615-2"
POSITIVE = ("snomed", "10828004", "Positive")
NEGATIVE = ("snomed", "260385009", "Negative")
DETECTED = ("snomed", "260373001", "Detected")
NOT_DETECTED = ("snomed", "260415000", "Not detected")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"interpretation": "POS"}, "met"),
        ({"interpretation": "H", "value_string": "see report"}, "met"),
        ({"interpretation": "HH"}, "met"),
        ({"interpretation": "NEG"}, "not_met"),
        ({"value_code": POSITIVE}, "met"),
        ({"value_code": NEGATIVE}, "not_met"),
        ({"value_string": "Positive"}, "met"),
        ({"value_string": "Detected"}, "met"),
        ({"value_string": "Not detected"}, "not_met"),
        ({"value_string": "Negative"}, "not_met"),
        ({"value_string": "1:80"}, "met"),
        ({"value_string": "1:640"}, "met"),
        ({"value_string": "1:40"}, "not_met"),
        ({"value_string": "<1:40"}, "not_met"),
        ({"interpretation": "IND"}, "unknown"),
        ({"interpretation": "E"}, "unknown"),
        ({"value_string": "Equivocal"}, "unknown"),
    ],
)
def test_i5_ana_positivity(kwargs: dict, expected: str) -> None:
    code = ANA_TITER if "1:" in str(kwargs.get("value_string", "")) else ANA
    assert status_of("I5", observation(code, on="2021-03-04", **kwargs)) == expected


def test_i5_interpretation_decides_over_the_text() -> None:
    text_positive_interpretation_negative = observation(ANA, value_string="positive", interpretation="NEG", on="2021-03-04")
    assert status_of("I5", text_positive_interpretation_negative) == "not_met"
    titer_low_interpretation_positive = observation(ANA_TITER, value_string="1:40", interpretation="POS", on="2021-03-04")
    assert status_of("I5", titer_low_interpretation_positive) == "met"


@pytest.mark.parametrize(("value", "expected"), [(45, "met"), (30, "not_met"), (12, "not_met")])
def test_i5_quantitative_anti_dsdna_above_its_reference_range(value: float, expected: str) -> None:
    assert status_of("I5", observation(ANTI_DSDNA, value, "[IU]/mL", ref_high=30, on="2022-01-01")) == expected


def test_i5_any_result_ever_counts() -> None:
    """An old positive stays positive: I5 reads any result ever, not only recent ones."""
    old_positive = observation(ANA, interpretation="POS", on="2005-01-01")
    recent_negative = observation(ANTI_DSDNA, interpretation="NEG", on=days_before(10))
    assert status_of("I5", old_positive, recent_negative) == "met"


def test_i5_negative_and_equivocal_is_not_met() -> None:
    results = [observation(ANA, interpretation="NEG", on="2021-01-01"), observation(ANA, interpretation="IND", on="2022-01-01")]
    assert status_of("I5", *results) == "not_met"


def test_i5_no_result_is_unknown() -> None:
    entry = criterion(evaluate(), "I5")
    assert entry["status"] == "unknown"


def test_i5_preliminary_result_is_ignored() -> None:
    assert status_of("I5", observation(ANA, interpretation="POS", status="preliminary", on="2021-01-01")) == "unknown"


# E4 serology. A patient with no liver conditions; each part is open-world over all time.

NEGATIVE_PANEL = [
    observation(HBSAG, value_code=NEGATIVE, on="2024-01-01"),
    observation(ANTI_HCV, value_code=NEGATIVE, on="2024-01-01"),
]


def test_e4_all_serology_negative_is_not_met() -> None:
    anti_hbc_negative = observation(ANTI_HBC, value_code=NEGATIVE, on="2024-01-01")
    entry = criterion(evaluate(*NEGATIVE_PANEL, anti_hbc_negative), "E4")
    assert entry["status"] == "not_met"


def test_e4_anti_hbc_positive_without_hbv_dna_is_unknown() -> None:
    anti_hbc_positive = observation(ANTI_HBC, value_code=POSITIVE, on="2024-01-01")
    entry = criterion(evaluate(*NEGATIVE_PANEL, anti_hbc_positive), "E4")
    assert entry["status"] == "unknown"
    assert "HBV DNA" in entry["reason"]


@pytest.mark.parametrize(
    ("dna", "expected"),
    [
        (observation(HBV_DNA, value_code=NOT_DETECTED, on="2024-02-01"), "not_met"),
        (observation(HBV_DNA, value_code=DETECTED, on="2024-02-01"), "met"),
        (observation(HBV_VIRAL_LOAD, 20, "[IU]/mL", comparator="<", on="2024-02-01"), "not_met"),
        (observation(HBV_VIRAL_LOAD, 350, "[IU]/mL", on="2024-02-01"), "met"),
    ],
)
def test_e4_anti_hbc_positive_then_hbv_dna_decides(dna: dict, expected: str) -> None:
    anti_hbc_positive = observation(ANTI_HBC, value_code=POSITIVE, on="2024-01-01")
    assert status_of("E4", *NEGATIVE_PANEL, anti_hbc_positive, dna) == expected


@pytest.mark.parametrize("missing", [HBSAG, ANTI_HCV, ANTI_HBC])
def test_e4_a_missing_serology_makes_it_unknown(missing: str) -> None:
    panel = [
        observation(HBSAG, value_code=NEGATIVE, on="2024-01-01"),
        observation(ANTI_HCV, value_code=NEGATIVE, on="2024-01-01"),
        observation(ANTI_HBC, value_code=NEGATIVE, on="2024-01-01"),
    ]
    kept = [o for o in panel if o["code"]["coding"][0]["code"] != missing]
    assert status_of("E4", *kept) == "unknown"


@pytest.mark.parametrize("code", [HBSAG, ANTI_HCV])
def test_e4_most_recent_positive_hbsag_or_anti_hcv_is_met(code: str) -> None:
    positive = observation(code, interpretation="POS", on="2025-01-01")
    assert status_of("E4", positive) == "met"


def test_e4_most_recent_result_decides() -> None:
    old_positive = observation(HBSAG, value_code=POSITIVE, on="2010-01-01")
    new_negative = observation(HBSAG, value_code=NEGATIVE, on="2024-01-01")
    others = [observation(ANTI_HCV, value_code=NEGATIVE, on="2024-01-01"),
              observation(ANTI_HBC, value_code=NEGATIVE, on="2024-01-01")]
    assert status_of("E4", old_positive, new_negative, *others) == "not_met"
    assert status_of("E4", new_negative, observation(HBSAG, value_code=POSITIVE, on="2025-01-01"), *others) == "met"


def test_e4_hbv_viral_load_of_zero_is_not_detected() -> None:
    anti_hbc_positive = observation(ANTI_HBC, value_code=POSITIVE, on="2024-01-01")
    zero = observation(HBV_VIRAL_LOAD, 0, "[IU]/mL", on="2024-02-01")
    assert status_of("E4", *NEGATIVE_PANEL, anti_hbc_positive, zero) == "not_met"


def test_e6_quantitative_hcg_above_its_reference_range_is_positive() -> None:
    assert status_of("E6", observation("21198-7", 500, "m[IU]/mL", ref_high=5, on=days_before(3))) == "met"


def test_i5_anti_dsdna_titer_has_no_ana_cutoff() -> None:
    """The 1:80 cut-off is ANA's; a Crithidia anti-dsDNA titer decides only by interpretation."""
    dsdna_titer = "11013-0"
    assert status_of("I5", observation(dsdna_titer, value_string="1:80", on="2021-03-04")) == "unknown"
    assert status_of("I5", observation(dsdna_titer, value_string="1:80", interpretation="POS", on="2021-03-04")) == "met"
