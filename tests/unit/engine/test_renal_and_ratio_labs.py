"""Portfolio G9 (urine protein/creatinine ratio, `ratio_threshold`) and G10 (renal function
per 1.73 m², `renal_function`).

Results are shaped like US Core's Observation Lab examples (valueQuantity with a UCUM
code; a 24-hour urine collection with effectivePeriod), and like Synthea's eGFR 33914-3,
which it writes in mL/min.
"""

from __future__ import annotations

import pytest
from fhir_builders import days_before, observation, patient
from kind_trials import KindProbe
from ehr_shapes import at, collection, lab_value, ucum

UPCR_24H = {
    "ratio_threshold": {
        "analytes": ["upcr_24h"],
        "label": "24-h urine protein/creatinine ratio",
        "comparator": ">=",
        "value": 1.0,
        "unit": "g/g",
        "derived_from": {
            "numerator_analyte": "urine_protein_24h_rate", "numerator_unit": "g/(24.h)",
            "denominator_analyte": "urine_creatinine_24h", "denominator_unit": "g/(24.h)",
        },
        "quoted_analytes": ["upcr_spot"],
    }
}
UPCR_ANY_ABOVE_6 = {
    "ratio_threshold": {"analytes": ["upcr_24h", "upcr_spot"], "label": "UPCR (24-h or spot)", "comparator": ">", "value": 6, "unit": "g/g"}
}


@pytest.fixture
def upcr(tmp_path) -> KindProbe:
    return KindProbe(tmp_path, UPCR_24H, kind="inclusion")


@pytest.mark.parametrize(
    ("value", "unit", "status"),
    [
        (1.0, "g/g", "met"),  # the threshold is inclusive
        (0.99, "g/g", "not_met"),
        (1, "mg/mg", "met"),  # mg/mg = g/g
        (999, "mg/g", "not_met"),  # mg/g ÷ 1000
        (1000, "mg/g", "met"),
        (113.2, "mg/mmol", "met"),  # × 0.00884: 1.0007 g/g
        (113.0, "mg/mmol", "not_met"),  # 0.99892 g/g
        (0.114, "g/mmol", "met"),  # × 8.84
    ],
)
def test_reported_24h_ratio_in_any_unit(upcr, value, unit, status) -> None:
    assert upcr(observation("13801-6", value, unit, on=days_before(20)))["status"] == status


@pytest.mark.parametrize("quantity", [{"valueQuantity": {"value": 1.4}}, ucum(1.4, "1"), {"valueQuantity": {"value": 1.4, "unit": "{ratio}"}}])
def test_a_dimensionless_ratio_is_unknown(upcr, quantity) -> None:
    entry = upcr(lab_value("13801-6", quantity, effective=at("2026-11-01T08:00:00Z")))
    assert entry["status"] == "unknown"
    assert "ratio without unit" in entry["reason"]


def test_no_24h_ratio_in_the_window_is_unknown_and_quotes_a_spot_ratio(upcr) -> None:
    old = observation("13801-6", 2.0, "g/g", on=days_before(91))
    spot = observation("2890-2", 1800, "mg/g", on=days_before(3))
    entry = upcr(old, spot)
    assert entry["status"] == "unknown"
    assert "1800 mg/g" in entry["reason"] and "does not count" in entry["reason"]


def test_a_spot_ratio_is_quoted_but_never_decides(upcr) -> None:
    entry = upcr(observation("13801-6", 0.5, "g/g", on=days_before(30)), observation("2890-2", 3000, "mg/g", on=days_before(2)))
    assert entry["status"] == "not_met"
    assert "3000 mg/g" in entry["reason"]


def test_a_ratio_derived_from_one_24h_collection(upcr) -> None:
    """24-h urine protein 2889-4 and creatinine 2162-6 reported for the same collection period."""
    period = collection("2026-11-10T07:00:00Z", "2026-11-11T07:00:00Z")
    protein = lab_value("2889-4", ucum(1500, "mg/(24.h)"), effective=period)
    creatinine = lab_value("2162-6", ucum(13.2, "mmol/(24.h)"), effective=period)  # 1.493 g/24 h
    entry = upcr(protein, creatinine)
    assert entry["status"] == "met"
    assert "derived" in entry["reason"]
    low = lab_value("2889-4", ucum(1.2, "g/(24.h)"), effective=period)
    assert upcr(low, lab_value("2162-6", ucum(1.3, "g/(24.h)"), effective=period))["status"] == "not_met"


def test_parts_of_different_collections_derive_nothing(upcr) -> None:
    protein = lab_value("2889-4", ucum(1.5, "g/(24.h)"), effective=collection("2026-11-10T07:00:00Z", "2026-11-11T07:00:00Z"))
    creatinine = lab_value("2162-6", ucum(1.2, "g/(24.h)"), effective=collection("2026-11-12T07:00:00Z", "2026-11-13T07:00:00Z"))
    assert upcr(protein, creatinine)["status"] == "unknown"


def test_a_reported_ratio_comes_before_a_derived_one(upcr) -> None:
    period = collection("2026-11-10T07:00:00Z", "2026-11-11T07:00:00Z")
    reported = observation("13801-6", 0.6, "g/g", on=days_before(40))
    protein = lab_value("2889-4", ucum(1.5, "g/(24.h)"), effective=period)
    creatinine = lab_value("2162-6", ucum(1.2, "g/(24.h)"), effective=period)
    assert upcr(reported, protein, creatinine)["status"] == "not_met"


def test_spot_ratios_count_where_a_page_accepts_them(tmp_path) -> None:
    probe = KindProbe(tmp_path, UPCR_ANY_ABOVE_6)
    assert probe(observation("2890-2", 6100, "mg/g", on=days_before(5)))["status"] == "met"
    assert probe(observation("2890-2", 6000, "mg/g", on=days_before(5)))["status"] == "not_met"  # > 6 is strict
    assert probe()["status"] == "unknown"


# --- G10 --------------------------------------------------------------------------------

ALL_STEPS = {
    "renal_function": {
        "label": "creatinine clearance per 1.73 m²",
        "comparator": "<=",
        "value": 25,
        "unit": "mL/min/{1.73_m2}",
        "normalised_analyte": "creatinine_clearance_normalised",
        "measured": {"clearance_analyte": "creatinine_clearance", "height_analyte": "body_height", "weight_analyte": "body_weight", "normalisation": "bsa_normalisation"},
        "reported_analyte": "egfr",
        "computed": {"creatinine_analyte": "serum_creatinine", "equation": "ckd_epi_2021"},
    }
}
ESTIMATES_ONLY = {
    "renal_function": {
        "label": "eGFR", "comparator": "<", "value": 30, "unit": "mL/min/{1.73_m2}",
        "reported_analyte": "egfr", "computed": {"creatinine_analyte": "serum_creatinine", "equation": "ckd_epi_2021"},
    }
}


@pytest.fixture
def clearance(tmp_path) -> KindProbe:
    return KindProbe(tmp_path, ALL_STEPS)


def test_step_1_a_measured_normalised_clearance_decides_first(clearance) -> None:
    entry = clearance(
        observation("12195-4", 25, "mL/min/{1.73_m2}", on=days_before(20)),
        observation("33914-3", 80, "mL/min/{1.73_m2}", on=days_before(2)),
    )
    assert entry["status"] == "met"  # ≤ 25 is inclusive
    assert "measured creatinine clearance per 1.73 m²" in entry["reason"]


def test_step_2_measured_clearance_normalised_by_mosteller_bsa(clearance) -> None:
    """170 cm and 76.5 kg: BSA = √(170 × 76.5 ÷ 3600) = 1.9007 m²; 27 mL/min × 1.73 ÷ 1.9007 = 24.57."""
    entry = clearance(
        observation("2164-2", 27, "mL/min", on=days_before(10)),
        observation("8302-2", 170, "cm", on="2019-04-01", category="vital-signs"),
        observation("29463-7", 76.5, "kg", on=days_before(100), category="vital-signs"),
    )
    assert entry["status"] == "met"
    assert "BSA 1.9 m²" in entry["reason"] and "Mosteller" in entry["reason"]
    higher = clearance(
        observation("2164-2", 28, "mL/min", on=days_before(10)),
        observation("8302-2", 170, "cm", on="2019-04-01", category="vital-signs"),
        observation("29463-7", 76.5, "kg", on=days_before(100), category="vital-signs"),
    )
    assert higher["status"] == "not_met"  # 25.48


def test_step_2_yields_nothing_without_a_weight_and_step_3_decides(clearance) -> None:
    entry = clearance(
        observation("2164-2", 20, "mL/min", on=days_before(10)),
        observation("8302-2", 170, "cm", on="2019-04-01", category="vital-signs"),
        observation("29463-7", 76.5, "kg", on=days_before(400), category="vital-signs"),  # older than 365 days
        observation("33914-3", 60, "mL/min", on=days_before(5)),
    )
    assert entry["status"] == "not_met"
    assert "estimated (reported eGFR)" in entry["reason"]


def test_step_3_an_egfr_in_ml_min_is_read_per_1_73_m2_and_said_so(clearance) -> None:
    """Synthea writes its eGFR 33914-3 in mL/min."""
    entry = clearance(observation("33914-3", 24, "mL/min", on=days_before(5)))
    assert entry["status"] == "met"
    assert "reported in mL/min" in entry["reason"] and "estimated" in entry["reason"]


@pytest.mark.parametrize(
    ("gender", "birth", "creatinine", "status"),
    [
        ("female", "1985-06-15", 2.5, "met"),  # 24.2 (age 41)
        ("male", "1985-06-15", 2.5, "not_met"),  # 32.3
        ("female", "1985-06-15", 2.3, "not_met"),  # 26.7
    ],
)
def test_step_4_ckd_epi_2021(clearance, gender, birth, creatinine, status) -> None:
    entry = clearance(patient(birth, gender=gender), observation("2160-0", creatinine, "mg/dL", on=days_before(5)))
    assert entry["status"] == status
    assert "CKD-EPI 2021" in entry["reason"] and "estimated" in entry["reason"]


@pytest.mark.parametrize("gender", ["other", "unknown", None])
def test_step_4_yields_nothing_for_gender_other_or_unknown(clearance, gender) -> None:
    entry = clearance(patient("1985-06-15", gender=gender), observation("2160-0", 4.0, "mg/dL", on=days_before(5)))
    assert entry["status"] == "unknown"


def test_ckd_epi_2021_matches_the_published_equation(tmp_path) -> None:
    """A 60-year-old man with creatinine 1.0 mg/dL: 142 × (1.0/0.9)^-1.200 × 0.9938^60 = 86.16
    (the NKF equation by hand); probed on both sides of the value."""
    below = KindProbe(tmp_path, {"renal_function": {**ESTIMATES_ONLY["renal_function"], "value": 86.17}})
    above = KindProbe(tmp_path, {"renal_function": {**ESTIMATES_ONLY["renal_function"], "value": 86.16}})
    man = (patient("1966-11-25", gender="male"), observation("2160-0", 1.0, "mg/dL", on=days_before(5)))
    assert below(*man)["status"] == "met"
    assert above(*man)["status"] == "not_met"


def test_creatinine_in_umol_per_litre_is_converted_for_ckd_epi(tmp_path) -> None:
    probe = KindProbe(tmp_path, ESTIMATES_ONLY)
    assert probe(observation("14682-9", 221.05, "umol/L", on=days_before(5)))["status"] == "met"  # 2.5 mg/dL, female 41


def test_restricted_steps_ignore_a_measured_clearance(tmp_path) -> None:
    probe = KindProbe(tmp_path, ESTIMATES_ONLY)
    entry = probe(observation("12195-4", 10, "mL/min/{1.73_m2}", on=days_before(5)))
    assert entry["status"] == "unknown"
    assert "no input" in entry["reason"]


def test_inputs_older_than_90_days_do_not_count(clearance) -> None:
    assert clearance(observation("33914-3", 20, "mL/min/{1.73_m2}", on=days_before(91)))["status"] == "unknown"
