"""Lab thresholds in the trial's own unit (hemoglobin in g/dL, platelets in 10*3/uL), the
absolute neutrophil count reported or derived (G11), and ×ULN above 2.5 with a default ULN.

Results are CBC and chemistry Observations as US Core's lab examples write them (a
panel's results share one effectiveDateTime), and Synthea's (no reference range).
"""

from __future__ import annotations

import pytest
from ehr_shapes import component, lab, quantity
from fhir_builders import days_before, observation
from kind_trials import KindProbe

HB_BELOW_8 = {"lab_threshold": {"analyte": "hemoglobin", "label": "hemoglobin", "comparator": "<", "value": 8.0, "unit": "g/dL"}}
PLATELETS_BELOW_50 = {"lab_threshold": {"analyte": "platelets", "label": "platelets", "comparator": "<", "value": 50, "unit": "10*3/uL"}}
ANC_BELOW_1 = {
    "lab_threshold": {
        "analyte": "anc", "label": "ANC", "comparator": "<", "value": 1.0, "unit": "10*3/uL",
        "derived_from": {"total_analyte": "wbc", "percent_analyte": "neutrophil_percent"},
    }
}
AST_ABOVE = {
    "lab_uln_ratio": {
        "analyte": "ast", "label": "AST", "comparator": ">", "ratio": 2.5,
        "default_uln": {"value": 40, "unit": "U/L", "source": "portfolio default ULN (test)"},
    }
}


@pytest.mark.parametrize(
    ("code", "value", "unit", "status"),
    [
        ("718-7", 7.9, "g/dL", "met"),
        ("718-7", 8.0, "g/dL", "not_met"),
        ("718-7", 79, "g/L", "met"),
        ("718-7", 80, "g/L", "not_met"),  # 80 g/L = 8.0 g/dL
        ("59260-0", 4.96, "mmol/L", "met"),  # × 1.611 = 7.99 g/dL
        ("59260-0", 4.97, "mmol/L", "not_met"),  # 8.007 g/dL
    ],
)
def test_hemoglobin_in_g_per_dl(tmp_path, code, value, unit, status) -> None:
    assert KindProbe(tmp_path, HB_BELOW_8)(observation(code, value, unit, on=days_before(10)))["status"] == status


@pytest.mark.parametrize(
    ("value", "unit", "status"),
    [(49, "10*3/uL", "met"), (50, "10*3/uL", "not_met"), (49999, "/mm3", "met"), (50000, "/mm3", "not_met"), (49, "10*9/L", "met"), (50000, "/uL", "not_met")],
)
def test_platelets_per_mm3(tmp_path, value, unit, status) -> None:
    assert KindProbe(tmp_path, PLATELETS_BELOW_50)(observation("777-3", value, unit, on=days_before(10)))["status"] == status


@pytest.fixture
def anc(tmp_path) -> KindProbe:
    return KindProbe(tmp_path, ANC_BELOW_1)


def test_a_reported_anc_decides(anc) -> None:
    assert anc(observation("751-8", 0.9, "10*3/uL", on=days_before(3)))["status"] == "met"
    assert anc(observation("751-8", 1000, "/uL", on=days_before(3)))["status"] == "not_met"  # ÷ 1000: 1.0
    assert anc(observation("26499-4", 999, "/mm3", on=days_before(3)))["status"] == "met"


def test_anc_is_derived_from_wbc_and_neutrophil_percent_of_one_draw(anc) -> None:
    """A CBC whose results share one effectiveDateTime: WBC 4.0 × 24 % = 0.96."""
    wbc = observation("6690-2", 4.0, "10*3/uL", on=days_before(3))
    pct = observation("770-8", 24, "%", on=days_before(3))
    entry = anc(wbc, pct)
    assert entry["status"] == "met"
    assert "derived" in entry["reason"]
    assert anc(wbc, observation("770-8", 25, "%", on=days_before(3)))["status"] == "not_met"  # exactly 1.0


def test_anc_derived_from_a_panel_with_components(anc) -> None:
    """Oracle Health sends a CBC as one Observation with components."""
    panel = lab("58410-2", effective={"effectiveDateTime": "2026-11-20T08:00:00Z"},
                components=[component("6690-2", quantity(3.0, "10*3/uL", "10*3/uL")), component("770-8", quantity(30, "%", "%"))])
    assert anc(panel)["status"] == "met"


def test_no_anc_derived_from_different_draws(anc) -> None:
    wbc = observation("6690-2", 4.0, "10*3/uL", on=days_before(3))
    pct = observation("770-8", 20, "%", on=days_before(4))
    entry = anc(wbc, pct)
    assert entry["status"] == "unknown"
    assert "no ANC result" in entry["reason"]


def test_a_reported_anc_comes_before_a_derived_one(anc) -> None:
    reported = observation("751-8", 2.5, "10*3/uL", on=days_before(30))
    wbc = observation("6690-2", 2.0, "10*3/uL", on=days_before(3))
    pct = observation("770-8", 20, "%", on=days_before(3))
    assert anc(reported, wbc, pct)["status"] == "not_met"


def test_an_old_anc_is_no_anc(anc) -> None:
    assert anc(observation("751-8", 0.5, "10*3/uL", on=days_before(91)))["status"] == "unknown"


@pytest.mark.parametrize(("value", "status"), [(101, "met"), (100, "not_met"), (60, "not_met")])
def test_uln_ratio_strictly_above_2_5_with_the_default_uln(tmp_path, value, status) -> None:
    """Synthea sends no referenceRange, so the trial's default ULN (40 U/L) is used."""
    assert KindProbe(tmp_path, AST_ABOVE)(observation("1920-8", value, "U/L", on=days_before(3)))["status"] == status


def test_uln_ratio_from_the_lab_range_first(tmp_path) -> None:
    assert KindProbe(tmp_path, AST_ABOVE)(observation("1920-8", 80, "U/L", on=days_before(3), ref_high=30))["status"] == "met"
