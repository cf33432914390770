"""Portfolio G1 windows: weeks, calendar months and years, "less than N", and `clears_on`
as the first date on which a criterion would no longer be met.

The arithmetic is checked on `Window` itself (the cases the reference page spells out),
and through criteria over procedures and conditions, whose windows use it.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fhir_builders import condition, procedure
from kind_trials import KindProbe, criterion, write_trial

from cds.engine.windows import Window
from cds.trials.loader import TrialDefinitionError, load_trial

CPT = "http://www.ama-assn.org/go/cpt"


@pytest.mark.parametrize(
    ("window", "as_of", "first"),
    [
        (Window(6, "months"), date(2026, 8, 31), date(2026, 2, 28)),  # the 31st of February does not exist
        (Window(6, "months"), date(2024, 8, 31), date(2024, 2, 29)),  # leap year
        (Window(2, "years"), date(2028, 2, 29), date(2026, 2, 28)),  # 29 February becomes 28 February
        (Window(12, "months"), date(2026, 11, 25), date(2025, 11, 25)),
        (Window(4, "weeks"), date(2026, 11, 25), date(2026, 10, 28)),  # weeks are 7 days
        (Window(9, "months", less_than=True), date(2026, 9, 30), date(2025, 12, 31)),  # (D - 9 months, D]
        (Window(28, "days", less_than=True), date(2026, 11, 25), date(2026, 10, 29)),
    ],
)
def test_first_day_of_a_window(window: Window, as_of: date, first: date) -> None:
    assert window.first_day(as_of) == first


@pytest.mark.parametrize(
    ("window", "last_day", "clears"),
    [
        # the page's example: "less than 9 months" after L = 2025-12-31 clears on 2026-10-01,
        # not on L + 9 months = 2026-09-30, whose window (2025-12-30, 2026-09-30] still holds L
        (Window(9, "months", less_than=True), date(2025, 12, 31), date(2026, 10, 1)),
        (Window(9, "months", less_than=True), date(2025, 12, 15), date(2026, 9, 15)),  # L + 9 months
        (Window(2, "months"), date(2026, 3, 15), date(2026, 5, 16)),  # L + 2 months + 1 day
        (Window(12, "months"), date(2024, 2, 29), date(2025, 3, 1)),
        (Window(28, "days"), date(2026, 1, 1), date(2026, 1, 30)),  # L + 29
        (Window(28, "days", less_than=True), date(2026, 1, 1), date(2026, 1, 29)),  # L + 28
        (Window(4, "weeks"), date(2026, 1, 1), date(2026, 1, 30)),
    ],
)
def test_clears_on_is_the_first_date_the_window_misses_the_last_day(window: Window, last_day: date, clears: date) -> None:
    assert window.clears_on(last_day) == clears
    assert window.first_day(clears) > last_day
    assert window.first_day(clears - timedelta(days=1)) <= last_day


BIOPSY_6_MONTHS = {"procedure": {"valuesets": ["kidney_biopsy"], "label": "kidney biopsy", "within_months": 6}}
BIOPSY_LESS_THAN_6 = {"procedure": {"valuesets": ["kidney_biopsy"], "label": "kidney biopsy", "within_months": 6, "less_than": True}}


@pytest.mark.parametrize(
    ("performed", "logic", "status"),
    [
        ("2026-05-25", BIOPSY_6_MONTHS, "met"),  # exactly 6 months before D = 2026-11-25: inside
        ("2026-05-24", BIOPSY_6_MONTHS, "not_met"),
        ("2026-05-25", BIOPSY_LESS_THAN_6, "not_met"),  # "less than": the day exactly 6 months before is outside
        ("2026-05-26", BIOPSY_LESS_THAN_6, "met"),
        ("2026-11-26", BIOPSY_6_MONTHS, "not_met"),  # after D: ignored
    ],
)
def test_procedure_month_windows_at_their_boundaries(tmp_path, performed, logic, status) -> None:
    """A completed biopsy as US Core's Procedure example writes it (performedDateTime)."""
    assert KindProbe(tmp_path, logic)(procedure(CPT, "50200", performed))["status"] == status


def test_less_than_window_clears_by_the_definition_at_month_end(tmp_path) -> None:
    logic = {"procedure": {"valuesets": ["dialysis_proc"], "label": "dialysis", "within_months": 9, "less_than": True}}
    entry = KindProbe(tmp_path, logic)(procedure("snomed", "302497006", "2025-12-31"), as_of=date(2026, 9, 30))
    assert entry["status"] == "met"
    assert entry["clears_on"] == "2026-10-01"
    assert KindProbe(tmp_path, logic)(procedure("snomed", "302497006", "2025-12-31"), as_of=date(2026, 10, 1))["status"] == "not_met"


def test_condition_window_in_weeks(tmp_path) -> None:
    """A seizure that abated 8 weeks (56 days) before D is inside "within 8 weeks"."""
    logic = {"condition": {"valuesets": ["cns_event"], "label": "CNS event", "within_weeks": 8}}
    probe = KindProbe(tmp_path, logic)
    inside = condition("snomed", "91175000", onset="2026-09-20", abatement="2026-09-30", clinical_status="resolved")
    outside = condition("snomed", "91175000", onset="2026-09-20", abatement="2026-09-29", clinical_status="resolved")
    entry = probe(inside)
    assert entry["status"] == "met"
    assert entry["clears_on"] == "2026-11-26"
    assert probe(outside)["status"] == "not_met"


@pytest.mark.parametrize(
    "params",
    [
        {"within_days": 30, "within_months": 1},  # two windows
        {"less_than": True},  # "less than" without a window
        {"within_days": -1},
    ],
)
def test_bad_windows_stop_the_load(tmp_path, params) -> None:
    path = write_trial(tmp_path, criterion("E1", {"procedure": {"valuesets": ["kidney_biopsy"], "label": "biopsy", **params}}))
    with pytest.raises(TrialDefinitionError, match="E1"):
        load_trial(path)
