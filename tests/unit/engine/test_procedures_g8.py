"""Portfolio G8 procedures: "ever" (an undated one counts), windows over performedPeriod
(any day in the window), undated procedures unknown for window rules, the last date in
a not_met reason; and G8's status conditions, whatever their clinicalStatus.

Procedures are shaped like US Core's Procedure example (performedDateTime, performedPeriod)
and Synthea's (SNOMED CT codes it emits: 711446003 kidney transplant regime, 265764009
renal dialysis); conditions like Synthea's kidney_transplant module writes them.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from ehr_shapes import procedure_on, procedure_period
from fhir_builders import condition, days_before, procedure
from kind_trials import KindProbe

TRANSPLANT_EVER = {"procedure": {"valuesets": ["kidney_tx_proc"], "label": "kidney transplant"}}
DIALYSIS_90 = {"procedure": {"valuesets": ["dialysis_proc"], "label": "dialysis", "within_days": 90}}
BIOPSY_6_MONTHS = {"procedure": {"valuesets": ["kidney_biopsy"], "label": "kidney biopsy", "within_months": 6}}


def test_ever_counts_any_completed_procedure_on_or_before_d(tmp_path) -> None:
    probe = KindProbe(tmp_path, TRANSPLANT_EVER)
    entry = probe(procedure("snomed", "711446003", "1998-04-02"))
    assert entry["status"] == "met"
    assert entry["clears_on"] is None
    assert probe(procedure("snomed", "711446003", "2026-11-26"))["status"] == "not_met"  # after D
    assert probe(procedure("snomed", "711446003", "1998-04-02", status="not-done"))["status"] == "not_met"
    assert probe()["status"] == "not_met"


def test_ever_counts_a_procedure_without_a_performed_date(tmp_path) -> None:
    undated = procedure_on("70536003", {"performedString": "as a child, in another hospital"})
    assert KindProbe(tmp_path, TRANSPLANT_EVER)(undated)["status"] == "met"


def test_ever_is_unknown_for_a_partial_date_that_may_be_after_d(tmp_path) -> None:
    assert KindProbe(tmp_path, TRANSPLANT_EVER)(procedure_on("70536003", {"performedDateTime": "2026-11"}))["status"] == "unknown"


@pytest.mark.parametrize(
    ("start", "end", "status"),
    [
        (days_before(120), days_before(90), "met"),  # its last day is the window's first
        (days_before(120), days_before(91), "not_met"),
        (days_before(10), None, "met"),  # a period still open
    ],
)
def test_a_period_is_in_a_window_when_any_of_its_days_is(tmp_path, start, end, status) -> None:
    entry = KindProbe(tmp_path, DIALYSIS_90)(procedure_period("http://snomed.info/sct", "265764009", start, end))
    assert entry["status"] == status


def test_dialysis_clears_91_days_after_the_last_session(tmp_path) -> None:
    entry = KindProbe(tmp_path, DIALYSIS_90)(procedure("snomed", "302497006", days_before(5)), procedure("snomed", "302497006", days_before(40)))
    assert entry["status"] == "met"
    assert entry["clears_on"] == (days_before(5) + timedelta(days=91)).isoformat()


def test_an_undated_procedure_is_unknown_for_a_window_rule(tmp_path) -> None:
    entry = KindProbe(tmp_path, BIOPSY_6_MONTHS)(procedure_on("7246002", {"performedString": "recently"}))
    assert entry["status"] == "unknown"


def test_not_met_names_the_last_matching_procedure(tmp_path) -> None:
    probe = KindProbe(tmp_path, BIOPSY_6_MONTHS)
    entry = probe(procedure("snomed", "7246002", "2023-02-01"), procedure("snomed", "7246002", "2025-01-15"))
    assert entry["status"] == "not_met"
    assert "last on 2025-01-15" in entry["reason"]
    assert "last on" not in probe()["reason"]


def test_the_unverified_image_guided_biopsy_code_does_not_count(tmp_path) -> None:
    assert KindProbe(tmp_path, BIOPSY_6_MONTHS)(procedure("snomed", "708940003", days_before(10)))["status"] == "not_met"


@pytest.mark.parametrize("clinical_status", ["active", "inactive", "resolved", None])
def test_status_conditions_count_whatever_their_clinical_status(tmp_path, clinical_status) -> None:
    """G8: "kidney transplant status" counts whatever its clinicalStatus (status any)."""
    logic = {"condition": {"valuesets": ["kidney_tx_status"], "label": "kidney transplant status", "status": "any"}}
    history = condition("snomed", "161665007", "History of renal transplant", onset="2015-06-01", clinical_status=clinical_status)
    assert KindProbe(tmp_path, logic)(history, as_of=date(2026, 11, 25))["status"] == "met"
