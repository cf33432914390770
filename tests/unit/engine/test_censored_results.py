"""Censored results (a number with a comparator: valueQuantity.comparator, or a valueString
such as "<=8 g/dL") decide a rule only when every value they admit gives the same answer
(ground rules, "Lab results"; docs/design.md): "<=8" cannot say whether hemoglobin is below 8,
">=100" U/L cannot say whether an ALT of ULN 40 is above 2.5 × ULN, ">=30" cannot say whether an
anti-dsDNA is above a reference range ending at 30.

Results are shaped like the US Core Observation Lab example (UCUM valueQuantity, with the
comparator element where the lab censored the value, and a referenceRange.high), and like
Oracle Health results that put a censored value in valueString.
"""

from __future__ import annotations

import pytest
from fhir_builders import days_before, observation, patient
from kind_trials import KindProbe
from nct03543839_records import status

HB_BELOW_8 = {"lab_threshold": {"analyte": "hemoglobin", "label": "hemoglobin", "comparator": "<", "value": 8.0, "unit": "g/dL"}}
ALT_ABOVE = {
    "lab_uln_ratio": {
        "analyte": "alt", "label": "ALT", "comparator": ">", "ratio": 2.5,
        "default_uln": {"value": 40, "unit": "U/L", "source": "portfolio default ULN (test)"},
    }
}
ANTI_DSDNA = "5130-0"


@pytest.mark.parametrize(
    ("comparator", "value", "expected"),
    [
        ("<", 8.0, "met"),  # every value below 8 is below 8
        ("<=", 8.0, "unknown"),  # 8 itself is not below 8
        ("<=", 7.9, "met"),
        ("<", 8.5, "unknown"),
        (">=", 8.0, "not_met"),
        (">", 7.9, "unknown"),  # 7.95 would be below 8
        (">", 8.0, "not_met"),
    ],
)
def test_a_censored_quantity_against_a_strict_threshold(tmp_path, comparator: str, value: float, expected: str) -> None:
    result = observation("718-7", value, "g/dL", comparator=comparator, on=days_before(10))
    assert KindProbe(tmp_path, HB_BELOW_8)(result)["status"] == expected


@pytest.mark.parametrize(("text", "expected"), [("<=8 g/dL", "unknown"), ("<8 g/dL", "met"), (">=8 g/dL", "not_met")])
def test_a_censored_value_string(tmp_path, text: str, expected: str) -> None:
    result = observation("718-7", value_string=text, on=days_before(10))
    assert KindProbe(tmp_path, HB_BELOW_8)(result)["status"] == expected


@pytest.mark.parametrize(
    ("comparator", "value", "expected"),
    [
        (">=", 100, "unknown"),  # exactly 2.5 × ULN is not above it
        (">", 100, "met"),
        ("<=", 100, "not_met"),
        ("<", 200, "unknown"),
        (None, 100, "not_met"),
    ],
)
def test_a_censored_result_as_a_multiple_of_the_lab_uln(tmp_path, comparator: str | None, value: float, expected: str) -> None:
    result = observation("1742-6", value, "U/L", comparator=comparator, ref_high=40, on=days_before(10))
    found = KindProbe(tmp_path, ALT_ABOVE)(result)
    assert found["status"] == expected
    if expected == "unknown":
        assert "censored value cannot decide > 2.5×ULN" in found["reason"]


@pytest.mark.parametrize(
    ("comparator", "value", "expected"),
    [
        (">", 30, "met"),  # above the range's high end of 30: positive
        (">=", 30, "unknown"),  # 30 itself is within the range: neither positive nor negative
        (">", 10, "unknown"),
        ("<=", 30, "not_met"),  # at or below the high end: negative
        ("<", 500, "unknown"),
        (None, 30, "not_met"),
    ],
)
def test_a_censored_anti_dsdna_against_its_reference_range(comparator: str | None, value: float, expected: str) -> None:
    """NCT03543839 I4 (as NCT05247203 I5): a quantitative anti-dsDNA above its reference range is positive."""
    result = observation(ANTI_DSDNA, value, "[IU]/mL", comparator=comparator, ref_high=30, on=days_before(40))
    assert status("I4", result) == expected


CLEARANCE_BELOW_30 = {
    "creatinine_clearance": {
        "label": "creatinine clearance", "comparator": "<", "value": 30, "unit": "mL/min",
        "measured": "creatinine_clearance", "serum_creatinine": "serum_creatinine", "weight": "body_weight",
        "female_factor": 0.85, "formula_source": "Cockcroft-Gault (test)",
    }
}


@pytest.mark.parametrize(
    ("comparator", "value", "expected"),
    [(">", 60, "not_met"), (">=", 29, "unknown"), ("<=", 30, "unknown"), ("<", 30, "met"), (">=", 30, "not_met")],
)
def test_a_censored_measured_clearance(tmp_path, comparator: str, value: float, expected: str) -> None:
    result = observation("2164-2", value, "mL/min", comparator=comparator, on=days_before(10))
    assert KindProbe(tmp_path, CLEARANCE_BELOW_30)(result)["status"] == expected


@pytest.mark.parametrize(
    ("comparator", "creatinine", "expected"),
    # A woman of 41 at D, 60 kg: the estimate at 2.0 mg/dL is 35.06 mL/min, at 2.4 mg/dL 29.2
    [("<", 2.0, "not_met"), (">", 2.4, "met"), (">", 2.0, "unknown"), ("<", 2.4, "unknown")],
)
def test_an_estimate_from_a_censored_creatinine_is_censored_the_other_way(
    tmp_path, comparator: str, creatinine: float, expected: str
) -> None:
    """The estimate falls as creatinine rises: "<2.0 mg/dL" gives an estimate above the one at 2.0."""
    found = KindProbe(tmp_path, CLEARANCE_BELOW_30)(
        patient("1985-06-15"),
        observation("2160-0", creatinine, "mg/dL", comparator=comparator, on=days_before(10)),
        observation("29463-7", 60, "kg", category="vital-signs", on=days_before(20)),
    )
    assert found["status"] == expected
