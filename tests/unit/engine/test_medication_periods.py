"""Medication statuses, MedicationRequest ends with refills, MedicationDispense exposures and
partial dates (ground rules, revision of 2026-12).

- MedicationStatement `intended` is ignored, `on-hold` is active, `unknown` is completed;
  MedicationRequest `draft`, `cancelled`, `entered-in-error` are ignored.
- A request ends at validityPeriod.end; else after expectedSupplyDuration × (1 + refills);
  else it is ongoing if active or on-hold; else it is its authoredOn day.
- A completed dispense covers whenHandedOver (else whenPrepared) for daysSupply days
  (last day = start + daysSupply − 1), or that day alone; a request's end is written
  differently on the page, authoredOn + expectedSupplyDuration × (1 + refills).
- A partial date stands for every day of its period: a window test decides only when all
  of them agree, else unknown; `clears_on` uses the period's last day.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fhir_builders import (
    AS_OF,
    days_before,
    dosage,
    medication,
    medication_dispense,
    medication_request,
    medication_statement,
)
from trial_eval import criterion, evaluate, status_of

from fhir_mappings.dates import add_months

HYDROXYCHLOROQUINE = medication("979092", display="Hydroxychloroquine Sulfate 200 MG Oral Tablet")
RITUXIMAB = medication("121191", "rituximab")
THALIDOMIDE = medication("10432", "thalidomide")
LISINOPRIL = medication("314076", display="lisinopril 10 MG Oral Tablet")
PREDNISONE = medication("8640", "prednisone")
TWELVE_MONTHS_BEFORE_D = add_months(AS_OF, -12)  # 2025-11-25


# statuses


def test_intended_statement_is_ignored() -> None:
    """Oracle Health lists prescriptions without documented compliance as `intended`."""
    assert status_of("I6", medication_statement(HYDROXYCHLOROQUINE, days_before(200), status="intended")) == "unknown"


def test_on_hold_statement_is_active() -> None:
    assert status_of("I6", medication_statement(HYDROXYCHLOROQUINE, days_before(200), status="on-hold")) == "met"


def test_unknown_statement_is_completed() -> None:
    """An open period of a completed statement ends at its start."""
    assert status_of("I6", medication_statement(HYDROXYCHLOROQUINE, days_before(200), status="unknown")) == "not_met"


@pytest.mark.parametrize("status", ["draft", "cancelled", "entered-in-error"])
def test_draft_cancelled_and_erroneous_requests_are_ignored(status: str) -> None:
    result = evaluate(medication_request(RITUXIMAB, days_before(30), status=status))
    assert criterion(result, "E10")["status"] == "not_met"
    assert criterion(result, "I6")["status"] == "unknown"  # no medication record at all


# MedicationRequest: supply with refills


def _epic_order(authored_before: int, repeats: int | None, drug: dict = HYDROXYCHLOROQUINE, status: str = "active") -> dict:
    """As Epic's MedicationRequest.Read sends an outpatient prescription: validityPeriod with a
    start only, a 30-day expected supply and the refills allowed."""
    request = medication_request(drug, days_before(authored_before), status=status, supply_days=30, repeats=repeats,
                                 dose=dosage(1, "TAB", per_day=2))
    request["dispenseRequest"]["validityPeriod"] = {"start": days_before(authored_before).isoformat()}
    return request


def test_refills_extend_a_supply_into_d() -> None:
    """Authored 75 days ago: 30 days alone end 46 days ago; with 2 refills, 90 days reach past D."""
    assert status_of("I6", _epic_order(75, repeats=2)) == "met"
    assert status_of("I6", _epic_order(75, repeats=None)) == "not_met"


@pytest.mark.parametrize(("authored_before", "expected"), [(90, "met"), (91, "not_met")])
def test_supply_with_refills_ends_on_day_authored_plus_90(authored_before: int, expected: str) -> None:
    """authoredOn + 30 × (1 + 2): authored 90 days before D, the request ends on D itself."""
    assert status_of("I6", _epic_order(authored_before, repeats=2)) == expected


@pytest.mark.parametrize(("offset", "expected"), [(90, "met"), (91, "not_met")])
def test_refills_decide_a_washout_window_edge(offset: int, expected: str) -> None:
    """A completed rituximab order whose third supply ends exactly 12 months before D still counts."""
    authored = TWELVE_MONTHS_BEFORE_D - timedelta(days=offset)
    request = medication_request(RITUXIMAB, authored, status="completed", supply_days=30, repeats=2)
    entry = criterion(evaluate(request), "E10")
    assert entry["status"] == expected
    if expected == "met":
        assert entry["clears_on"] == (AS_OF + timedelta(days=1)).isoformat()


def test_validity_period_end_comes_before_the_supply() -> None:
    request = medication_request(HYDROXYCHLOROQUINE, days_before(100), supply_days=30, repeats=5, validity_end=days_before(5))
    assert status_of("I6", request) == "not_met"


@pytest.mark.parametrize("supply", [{"value": 13, "unit": "weeks"}, {"value": 91, "unit": "days"}])
def test_supply_written_in_unit_words(supply: dict) -> None:
    """A Duration with a unit word and no UCUM code (13 weeks = 91 days from D−90 reach D)."""
    request = medication_request(HYDROXYCHLOROQUINE, days_before(90), status="completed")
    request["dispenseRequest"] = {"expectedSupplyDuration": supply}
    assert status_of("I6", request) == "met"


# MedicationDispense


def test_a_patient_with_only_dispenses_has_medication_records() -> None:
    """US Core MedicationDispense example shape (lisinopril, First Fill): I6 is decided, not unknown."""
    assert status_of("I6", medication_dispense(LISINOPRIL, days_before(20), days_supply=30)) == "not_met"


def test_monthly_dispenses_that_touch_form_a_stable_regimen() -> None:
    fills = [medication_dispense(HYDROXYCHLOROQUINE, days_before(d), days_supply=30) for d in (119, 89, 59, 29)]
    entry = criterion(evaluate(*fills), "I6")
    assert entry["status"] == "met"
    assert entry["evidence"][0]["date"] == days_before(119).isoformat()  # the run's first fill


@pytest.mark.parametrize(("handed_over_before", "expected"), [(57, "met"), (58, "not_met")])
def test_dispense_last_day_on_the_window_edge(handed_over_before: int, expected: str) -> None:
    """30 days handed over 57 days before D: the last day is D−28, inside E13's 28-day window."""
    entry = criterion(evaluate(medication_dispense(THALIDOMIDE, days_before(handed_over_before), days_supply=30)), "E13")
    assert entry["status"] == expected
    if expected == "met":
        assert entry["clears_on"] == (days_before(28) + timedelta(days=29)).isoformat()


@pytest.mark.parametrize(("handed_over_before", "expected"), [(28, "met"), (29, "not_met")])
def test_dispense_without_days_supply_is_that_day_alone(handed_over_before: int, expected: str) -> None:
    assert status_of("E13", medication_dispense(THALIDOMIDE, days_before(handed_over_before))) == expected


def test_dispense_prepared_but_not_handed_over_dates_from_preparation() -> None:
    dispense = medication_dispense(THALIDOMIDE, None, prepared=days_before(10), days_supply=7)
    assert status_of("E13", dispense) == "met"


@pytest.mark.parametrize("status", ["preparation", "in-progress", "cancelled", "on-hold", "stopped", "entered-in-error",
                                    "declined", "unknown"])
def test_dispense_counts_only_when_completed(status: str) -> None:
    result = evaluate(medication_dispense(THALIDOMIDE, days_before(5), days_supply=30, status=status))
    assert criterion(result, "E13")["status"] == "not_met"
    assert criterion(result, "I6")["status"] == "unknown"  # not a medication record


@pytest.mark.parametrize(("handed_over_before", "expected"), [(19, "met"), (18, "not_met")])
def test_dispense_joins_the_prescription_it_touches(handed_over_before: int, expected: str) -> None:
    """A 20-day order from D−40 covers D−40..D−20; a fill handed over the next day continues it,
    a day later it restarts the drug (stable from its start + 30 days)."""
    order = medication_request(HYDROXYCHLOROQUINE, days_before(40), status="completed", supply_days=20)
    fill = medication_dispense(HYDROXYCHLOROQUINE, days_before(handed_over_before), days_supply=30)
    entry = criterion(evaluate(order, fill), "I6")
    assert entry["status"] == expected
    if expected == "not_met":
        assert entry["clears_on"] == (days_before(handed_over_before) + timedelta(days=30)).isoformat()


# partial dates


@pytest.mark.parametrize(
    ("month", "expected", "clears_on"),
    [("2025-10", "not_met", None), ("2025-11", "unknown", None), ("2025-12", "met", date(2027, 1, 1))],
)
def test_partial_month_against_the_12_month_window(month: str, expected: str, clears_on: date | None) -> None:
    """Rituximab in a month, no day: November 2025 straddles D−12 months (2025-11-25)."""
    statement = medication_statement(RITUXIMAB, month, month, status="completed")
    entry = criterion(evaluate(statement), "E10")
    assert entry["status"] == expected
    assert entry["clears_on"] == (clears_on.isoformat() if clears_on else None)


def test_partial_date_dispense_clears_from_the_latest_day_it_can_mean() -> None:
    """60 days handed over some day of October 2025: the last day is 2025-11-29 at the
    earliest (inside the window) and 2025-12-29 at the latest."""
    entry = criterion(evaluate(medication_dispense(RITUXIMAB, "2025-10", days_supply=60)), "E10")
    assert entry["status"] == "met"
    assert entry["clears_on"] == "2026-12-30"


def test_partial_date_dispense_whose_last_day_straddles_the_window_is_unknown() -> None:
    """Handed over in September 2025 for 60 days: the last day falls in 2025-10-30..2025-11-28."""
    assert status_of("E10", medication_dispense(RITUXIMAB, "2025-09", days_supply=60)) == "unknown"


def test_request_authored_in_a_year_that_straddles_the_window_is_unknown() -> None:
    assert status_of("E10", medication_request(RITUXIMAB, "2025", status="completed")) == "unknown"


@pytest.mark.parametrize(("month", "expected"), [("2026-09", "met"), ("2026-10", "unknown"), ("2026-11", "not_met")])
def test_partial_start_of_a_standard_regimen(month: str, expected: str) -> None:
    """Started some day of a month, ongoing: D−30 is 2026-10-26."""
    entry = criterion(evaluate(medication_statement(HYDROXYCHLOROQUINE, month)), "I6")
    assert entry["status"] == expected
    assert entry["clears_on"] is None


def test_partial_dates_can_make_a_steroid_course_unknown() -> None:
    """100 mg/day from some day of October to some day of October: 1 to 31 days."""
    course = medication_statement(PREDNISONE, "2026-10", "2026-10", status="completed", dose=dosage(100), id="ms-oct")
    entry = criterion(evaluate(course), "E12")
    assert entry["status"] == "unknown"
    assert "MedicationStatement/ms-oct" in entry["reason"]


# unreadable dates and supplies: the record cannot be read, never silently shortened


def test_a_days_supply_that_is_not_a_number_makes_the_washout_unknown() -> None:
    dispense = medication_dispense(THALIDOMIDE, days_before(40), days_supply=30, id="md-odd")
    dispense["daysSupply"]["value"] = "30"
    entry = criterion(evaluate(dispense), "E13")
    assert entry["status"] == "unknown"
    assert "MedicationDispense/md-odd" in entry["reason"]


def test_a_validity_end_that_is_not_a_date_makes_the_washout_unknown() -> None:
    request = medication_request(RITUXIMAB, days_before(400), status="completed", validity_end=days_before(300))
    request["dispenseRequest"]["validityPeriod"]["end"] = "next spring"
    assert status_of("E10", request) == "unknown"
