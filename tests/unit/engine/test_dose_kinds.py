"""`stable_dose` (portfolio G5), `dose_per_weight` (G6) and the daily dose arithmetic they
read (G4), with the criteria written as the portfolio pages state them (NCT03543839 I6,
I7, E4), loaded through the real loader.

Fixtures: MedicationRequests shaped like Synthea's (an RxNorm SCD display, a dose in
tablets, timing.repeat once a day) or like the US Core MedicationRequest example (a
doseQuantity in a UCUM mass unit); inpatient doses as MedicationAdministrations shaped
like the CPG CHF example 'chf-scenario1-lasix-po'; body weights as US Core body-weight
vital signs (LOINC 29463-7 in kg).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fhir_builders import (
    AS_OF,
    days_before,
    dosage,
    medication,
    medication_administration,
    medication_request,
    observation,
)
from yaml_probe import probe

from cds.trials.loader import TrialDefinitionError

ORAL = ("26643006", "Oral route")
IV = ("47625008", "Intravenous route")
PREDNISONE_5 = medication("312617", display="predniSONE 5 MG Oral Tablet")  # Synthea SCD
PREDNISONE_20 = medication("312615", display="predniSONE 20 MG Oral Tablet")
METHYLPREDNISOLONE_4 = medication(text="methylPREDNISolone 4 MG Oral Tablet")
DEXAMETHASONE = medication("3264", display="dexamethasone")
MTX_TABLET = medication("105585", display="Methotrexate 2.5 MG Oral Tablet")  # Synthea SCD

I6 = (
    "{groups: [glucocorticoid], label: glucocorticoid, within_days: 28, comparator: '<=', value: 30,"
    " unit: mg/d, prednisone_equivalent: true, route: systemic}"
)
I7 = "{groups: [methotrexate], label: methotrexate, within_days: 28, unit: mg/wk, only_when_ongoing: true}"
E4 = (
    "{groups: [glucocorticoid], label: systemic glucocorticoid, within_days: 28, comparator: '>', value: 0.5,"
    " unit: mg/kg/d, prednisone_equivalent: true, route: systemic}"
)


def order(drug: dict, start: int, *, end: int | None = None, dose: dict | None = None, **kwargs) -> dict:
    """A MedicationRequest authored `start` days before D, active (ongoing) or stopped on `end`."""
    if end is None:
        return medication_request(drug, days_before(start), dose=dose, **kwargs)
    return medication_request(drug, days_before(start), status="completed", validity_end=days_before(end), dose=dose, **kwargs)


def weight(kg: float = 60, unit: str = "kg", *, days: int = 30, loinc: str = "29463-7") -> dict:
    """A US Core body-weight vital sign."""
    return observation(loinc, kg, unit, on=days_before(days), category="vital-signs")


@pytest.fixture()
def i6(tmp_path: Path):
    return probe(tmp_path, "stable_dose", I6, criterion_kind="inclusion")


@pytest.fixture()
def i7(tmp_path: Path):
    return probe(tmp_path, "stable_dose", I7, criterion_kind="inclusion")


@pytest.fixture()
def e4(tmp_path: Path):
    return probe(tmp_path, "dose_per_weight", E4)


# --- G5 with a ceiling (I6) ---------------------------------------------------------------------


def test_no_glucocorticoid_in_the_window_is_stable_at_zero(i6) -> None:
    entry = i6(order(PREDNISONE_5, 400, end=40, dose=dosage(2, "TAB")))
    assert entry["status"] == "met"


@pytest.mark.parametrize(("tablets", "status"), [(2, "met"), (6, "met"), (7, "not_met")])
def test_a_stable_dose_meets_only_up_to_the_ceiling(i6, tablets: int, status: str) -> None:
    entry = i6(order(PREDNISONE_5, 100, dose=dosage(tablets, "TAB")))  # 5 mg tablets: 30 mg is 6
    assert entry["status"] == status
    assert entry["clears_on"] is None


def test_a_taper_inside_the_window_clears_28_days_after_the_dose_on_d_began(i6) -> None:
    entry = i6(order(PREDNISONE_20, 100, end=11, dose=dosage(2, "TAB")), order(PREDNISONE_20, 10, dose=dosage(1, "TAB")))
    assert entry["status"] == "not_met"  # 40 mg/day until D − 11: above 30
    assert entry["clears_on"] == (days_before(10) + timedelta(days=28)).isoformat()


def test_a_drug_started_inside_the_window_is_a_change_from_zero(i6) -> None:
    entry = i6(order(PREDNISONE_5, 10, dose=dosage(2, "TAB")))
    assert entry["status"] == "not_met"
    assert entry["clears_on"] == (days_before(10) + timedelta(days=28)).isoformat()


def test_no_clearing_date_when_the_dose_on_d_is_above_the_ceiling(i6) -> None:
    entry = i6(order(PREDNISONE_20, 10, dose=dosage(2, "TAB")))
    assert entry["status"] == "not_met"
    assert entry["clears_on"] is None


def test_a_dose_change_is_a_new_prescription_not_an_addition(i6) -> None:
    """G4: two active orders of one ingredient: the later one gives the dose (10, not 30)."""
    entry = i6(order(PREDNISONE_20, 200, dose=dosage(1, "TAB")), order(PREDNISONE_5, 100, dose=dosage(2, "TAB")))
    assert entry["status"] == "met"
    assert "10 mg/d" in entry["reason"]


def test_different_glucocorticoids_add_up_in_prednisone_equivalents(i6) -> None:
    """10 mg prednisone + 4 mg methylprednisolone (× 1.25) = 15 mg/day."""
    entry = i6(order(PREDNISONE_5, 100, dose=dosage(2, "TAB")), order(METHYLPREDNISOLONE_4, 100, dose=dosage(1, "TAB")))
    assert entry["status"] == "met"
    assert "15 mg/d" in entry["reason"]


def test_a_local_glucocorticoid_is_ignored(i6) -> None:
    cream = order(medication(text="hydrocortisone 1 % Topical Cream"), 5, dose=dosage(1, "{application}"))
    assert i6(order(PREDNISONE_5, 100, dose=dosage(2, "TAB")), cream)["status"] == "met"


@pytest.mark.parametrize(
    ("drug", "dose", "why"),
    [
        (PREDNISONE_5, None, "no dosage"),
        (medication("8640", display="prednisone"), dosage(10, route=None), "route class unknown"),  # ingredient only
        (medication(text="betamethasone 0.6 MG Oral Tablet"), dosage(1, "TAB"), "no prednisone equivalence for betamethasone"),
        (PREDNISONE_5, dosage(2, "TAB", as_needed=True), "taken as needed"),
    ],
)
def test_a_dose_that_cannot_be_known_is_unknown_never_met(i6, drug: dict, dose: dict | None, why: str) -> None:
    entry = i6(order(drug, 100, dose=dose))
    assert entry["status"] == "unknown"
    assert why in entry["reason"]


def test_an_unknown_day_does_not_hide_a_day_known_above_the_ceiling(i6) -> None:
    entry = i6(order(PREDNISONE_20, 100, end=11, dose=dosage(2, "TAB")), order(PREDNISONE_5, 10))
    assert entry["status"] == "not_met"
    assert entry["clears_on"] is None  # the dose on D is not known


# --- G4 dose arithmetic, read through I6 ------------------------------------------------------------


@pytest.mark.parametrize(
    ("drug", "dose"),
    [
        (PREDNISONE_5, dosage(0.01, "g")),  # UCUM g × 1000
        (DEXAMETHASONE, dosage(1500, "ug", route=ORAL)),  # 1.5 mg × 6.67 = 10.005, compared rounded to 0.1
        (PREDNISONE_5, dosage(5, "mg", every=(12, "h"))),  # every 12 h: 2 a day
        (PREDNISONE_5, dosage(300, "mg", every=(1, "mo"))),  # mo = 30 days
        (PREDNISONE_5, dosage(3650, "mg", every=(1, "a"))),  # a = 365 days
        (PREDNISONE_5, dosage(5, "mg", times_of_day=("08:00:00", "20:00:00"))),  # timeOfDay, no frequency
    ],
)
def test_mass_and_period_units(i6, drug: dict, dose: dict) -> None:
    """US Core MedicationRequest shape: doseQuantity in a UCUM mass unit; the timeOfDay
    shape of the French medication IG's inpatient examples (14641, 14659)."""
    entry = i6(order(drug, 100, dose=dose))
    assert entry["status"] == "met"
    assert entry["reason"].endswith(": 10 mg/d")


# --- G5 weekly, "if on the drug" (I7) ----------------------------------------------------------------


def test_not_on_methotrexate_at_d_is_met(i7) -> None:
    assert i7(order(MTX_TABLET, 300, end=30, dose=dosage(6, "TAB", every=(1, "wk"))))["status"] == "met"


def test_a_stable_weekly_dose_is_met(i7) -> None:
    entry = i7(order(MTX_TABLET, 300, dose=dosage(6, "TAB", every=(1, "wk"))))
    assert entry["status"] == "met"
    assert "15 mg/wk" in entry["reason"]


def test_a_weekly_subcutaneous_injection_in_ml(i7) -> None:
    injection = medication(text="methotrexate 25 MG/ML Injectable Solution")
    entry = i7(order(injection, 300, dose=dosage(0.6, "mL", every=(1, "wk"), route=("34206005", "Subcutaneous route"))))
    assert entry["status"] == "met"
    assert "15 mg/wk" in entry["reason"]


def test_methotrexate_started_inside_the_window_is_not_met_until_28_days_after_its_start(i7) -> None:
    entry = i7(order(MTX_TABLET, 10))  # no dosage: the dose is not known, but it started late
    assert entry["status"] == "not_met"
    assert entry["clears_on"] == (days_before(10) + timedelta(days=28)).isoformat()


def test_a_weekly_dose_change_is_not_met(i7) -> None:
    before = order(MTX_TABLET, 300, end=11, dose=dosage(6, "TAB", every=(1, "wk")))
    after = order(MTX_TABLET, 10, dose=dosage(8, "TAB", every=(1, "wk")))
    entry = i7(before, after)
    assert entry["status"] == "not_met"
    assert entry["clears_on"] == (days_before(10) + timedelta(days=28)).isoformat()


def test_one_record_of_unknown_dose_over_the_whole_window_is_stable(i7) -> None:
    assert i7(order(MTX_TABLET, 300))["status"] == "met"


def test_several_records_of_unknown_dose_are_unknown(i7) -> None:
    entry = i7(order(MTX_TABLET, 300, end=11), order(MTX_TABLET, 10 + 1))
    assert entry["status"] == "unknown"


# --- G6 dose per body weight (E4) -----------------------------------------------------------------


@pytest.mark.parametrize(("tablets", "status"), [(8, "met"), (6, "not_met")])
def test_more_than_half_a_mg_per_kg_is_met_strictly(e4, tablets: int, status: str) -> None:
    """60 kg: 40 mg/day is 0.67 mg/kg/day (met); 30 mg/day is exactly 0.5 (not_met)."""
    entry = e4(order(PREDNISONE_5, 100, dose=dosage(tablets, "TAB")), weight(60))
    assert entry["status"] == status


@pytest.mark.parametrize(("value", "unit"), [(150, "[lb_av]"), (68039, "g")])
def test_weights_in_pounds_and_grams_convert(e4, value: float, unit: str) -> None:
    """68.04 kg: 35 mg/day is 0.514 mg/kg/day."""
    entry = e4(order(PREDNISONE_5, 100, dose=dosage(7, "TAB")), weight(value, unit))
    assert entry["status"] == "met"


def test_the_measured_body_weight_code_counts(e4) -> None:
    assert e4(order(PREDNISONE_5, 100, dose=dosage(8, "TAB")), weight(60, loinc="3141-9"))["status"] == "met"


def test_no_weight_in_the_last_year_is_unknown_for_a_day_with_a_dose(e4) -> None:
    entry = e4(order(PREDNISONE_5, 100, dose=dosage(8, "TAB")), weight(60, days=366))
    assert entry["status"] == "unknown"
    assert "no body weight" in entry["reason"]


def test_no_glucocorticoid_needs_no_weight(e4) -> None:
    assert e4(order(PREDNISONE_5, 400, end=29, dose=dosage(8, "TAB")))["status"] == "not_met"


def test_a_day_above_clears_29_days_later(e4) -> None:
    entry = e4(order(PREDNISONE_5, 100, end=10, dose=dosage(8, "TAB")), weight(60))
    assert entry["status"] == "met"
    assert entry["clears_on"] == (days_before(10) + timedelta(days=29)).isoformat()


def test_no_clearing_date_while_the_exposure_goes_on_after_d(e4) -> None:
    entry = e4(order(PREDNISONE_5, 100, dose=dosage(8, "TAB")), weight(60))
    assert entry["clears_on"] is None


def test_administrations_of_one_day_add_up(e4) -> None:
    """Two IV methylprednisolone 20 mg pushes on one day: 40 mg × 1.25 = 50 mg, 0.83 mg/kg."""
    solumedrol = medication(text="methylprednisolone sodium succinate 40 MG Injection")
    given = [medication_administration(solumedrol, days_before(3), dose_mg=20, at=at) for at in ("08:00:00Z", "20:00:00Z")]
    assert e4(*given, weight(60))["status"] == "met"
    assert e4(given[0], weight(60))["status"] == "not_met"  # 25 mg: 0.42 mg/kg


def test_a_dose_that_cannot_be_known_leaves_it_unknown(e4) -> None:
    entry = e4(order(medication("8640", display="prednisone"), 100, dose=dosage(10)), weight(60))
    assert entry["status"] == "unknown"  # route class unknown: the day's dose is unknown (G4)


def test_an_iv_pulse_counts(e4) -> None:
    pulse = order(medication("6902", display="methylprednisolone"), 5, end=3, dose=dosage(500, route=IV))
    entry = e4(pulse, weight(60))
    assert entry["status"] == "met"
    assert entry["clears_on"] == (days_before(3) + timedelta(days=29)).isoformat()
    assert AS_OF.isoformat() not in entry["reason"]


# --- steroid_course: the ground rules' reading by default, G4 on request --------------------------

COURSE = "group: glucocorticoid, label: high-dose steroid course, min_mg_per_day: 100, min_days: 14, within_days: 90"
G4_COURSE = f"{{{COURSE}, same_ingredient: latest_start, as_needed: unknown, route_unknown: unknown}}"


@pytest.mark.parametrize(("logic", "status"), [(f"{{{COURSE}}}", "met"), (G4_COURSE, "not_met")])
def test_a_taper_prescribed_over_an_open_order(tmp_path: Path, logic: str, status: str) -> None:
    """120 mg/day from D − 40, then a 60 mg/day order from D − 30 with the first still open:
    the highest record (ground rules) makes 41 days at 120; the latest start (G4) only 10."""
    trial = probe(tmp_path, "steroid_course", logic)
    taper = (order(PREDNISONE_20, 40, dose=dosage(6, "TAB")), order(PREDNISONE_20, 30, dose=dosage(3, "TAB")))
    assert trial(*taper)["status"] == status


@pytest.mark.parametrize(("logic", "status"), [(f"{{{COURSE}}}", "met"), (G4_COURSE, "unknown")])
def test_a_course_of_unknown_route_class(tmp_path: Path, logic: str, status: str) -> None:
    trial = probe(tmp_path, "steroid_course", logic)
    assert trial(order(medication("8640", display="prednisone"), 40, dose=dosage(120)))["status"] == status


# --- parameters checked when the file loads ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "logic", "problem"),
    [
        ("dose_per_weight", "{groups: [glucocorticoid], label: x, within_days: 28, comparator: '>', value: 0.5, weight_analyte: weight}",
         "unknown analyte 'weight'"),
        ("dose_per_weight", "{groups: [glucocorticoid], label: x, comparator: '>', value: 0.5}", "needs a window"),
        ("stable_dose", "{groups: [methotrexate], label: x, within_days: 28, comparator: '<='}", "comparator and value together"),
        ("stable_dose", "{groups: [methotrexate], label: x, within_days: 28, unit: mg/month}", "logic.stable_dose.unit"),
        ("steroid_course", "{group: glucocorticoid, label: x, min_mg_per_day: 100, min_days: 14, within_days: 90, same_ingredient: sum}",
         "logic.steroid_course.same_ingredient"),
    ],
)
def test_bad_dose_parameters_stop_the_load(tmp_path: Path, kind: str, logic: str, problem: str) -> None:
    with pytest.raises(TrialDefinitionError) as caught:
        probe(tmp_path, kind, logic)
    assert "criterion C1" in str(caught.value)
    assert problem in str(caught.value)


# --- stable_regimen's route restriction ------------------------------------------------------------------


@pytest.mark.parametrize(("route_unknown", "status"), [("counts", "met"), ("unknown", "unknown")])
def test_a_regimen_drug_of_unknown_route_class(tmp_path: Path, route_unknown: str, status: str) -> None:
    trial = probe(
        tmp_path, "stable_regimen",
        f"{{groups: [systemic_corticosteroid], label: systemic corticosteroid, min_days: 30, route_unknown: {route_unknown}}}",
        criterion_kind="inclusion",
    )
    assert trial(order(medication("8640", display="prednisone"), 100, dose=dosage(10)))["status"] == status


def test_two_orders_on_one_day_are_ordered_by_their_times_only(i6) -> None:
    """Two Epic-style orders authored the same day (authoredOn with time and zone): the later
    gives the dose; with dates alone, nothing says which replaced the other."""
    first, later = (order(PREDNISONE_5, 90, dose=dosage(n, "TAB")) for n in (2, 4))
    first["authoredOn"], later["authoredOn"] = "2026-08-27T08:00:00-05:00", "2026-08-27T09:30:00-05:00"
    assert "20 mg/d" in i6(first, later)["reason"]
    first["authoredOn"], later["authoredOn"] = "2026-08-27", "2026-08-27"
    entry = i6(first, later)
    assert entry["status"] == "unknown"
    assert "start on the same day" in entry["reason"]
