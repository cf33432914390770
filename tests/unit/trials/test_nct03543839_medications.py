"""NCT03543839 I6, I7, I8, E1, E2 and E4 (criteria-nct03543839.md with G2-G6, G13, G14,
G17): stable steroid dose, stable methotrexate, hydroxychloroquine or intolerance, prior
DMARDs and biologics, steroids per kg, through the shipped trial file. D = 2026-11-25.

Medication records: MedicationRequests shaped like Synthea's (RxNorm SCD with display, a
dose in tablets, timing.repeat) and like the US Core MedicationRequest example (a
doseQuantity in mg, a SNOMED CT route); inpatient pulses as MedicationAdministrations
shaped like the CPG CHF example 'chf-scenario1-lasix-po'; a MedicationStatement shaped like
the US Core MedicationStatement example; allergies like the US Core AllergyIntolerance
example; body weight as the US Core body-weight vital sign.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from ehr_shapes import epic_problem
from fhir_builders import (
    AS_OF,
    allergy,
    days_before,
    dosage,
    medication,
    medication_administration,
    medication_statement,
)
from nct03543839_records import (
    MTX_2_5,
    ORAL,
    PREDNISONE_20,
    SUBCUTANEOUS,
    TOPICAL,
    entry,
    evaluate,
    hcq,
    order,
    prednisone_daily,
    status,
    unrelated_drug,
    weight,
)
from trial_eval import criterion


def after(days: int):
    """D plus `days`, as the evaluation JSON writes a date."""
    return (AS_OF + timedelta(days=days)).isoformat()


# I6: stable glucocorticoid dose over [D - 28, D], at most 30 mg/day prednisone-equivalent.

def test_no_glucocorticoid_in_the_four_weeks_is_stable_at_zero() -> None:
    assert status("I6") == "met"
    assert status("I6", prednisone_daily(10, 200, end=40)) == "met"  # stopped before the window


@pytest.mark.parametrize(("mg", "expected"), [(10, "met"), (30, "met"), (35, "not_met")])
def test_a_stable_dose_meets_up_to_30_mg_a_day(mg, expected) -> None:
    result = entry("I6", prednisone_daily(mg, 200))
    assert result["status"] == expected
    assert result["clears_on"] is None  # stable at 35 mg never clears by itself


def test_a_taper_clears_28_days_after_the_dose_on_d_began() -> None:
    """40 mg/day until D - 11, then 20 mg/day from D - 10 (a new prescription)."""
    result = entry("I6", prednisone_daily(40, 90, end=11), prednisone_daily(20, 10, tablet=PREDNISONE_20, per_tablet=20))
    assert result["status"] == "not_met"
    assert result["clears_on"] == after(18)


def test_a_change_within_the_ceiling_is_not_stable() -> None:
    result = entry("I6", prednisone_daily(10, 200, end=6), prednisone_daily(15, 5))
    assert result["status"] == "not_met"
    assert "changed" in result["reason"]
    assert result["clears_on"] == after(23)


def test_a_steroid_started_inside_the_window_is_a_change_from_zero() -> None:
    result = entry("I6", prednisone_daily(10, 10))
    assert result["status"] == "not_met"
    assert result["clears_on"] == after(18)


@pytest.mark.parametrize(("start", "expected", "clears_on"), [(28, "met", None), (27, "not_met", after(1))])
def test_a_steroid_started_on_the_window_s_first_day_is_stable(start, expected, clears_on) -> None:
    """[D - 28, D] includes both ends: started on D - 28, every day has 10 mg; on D - 27, D - 28 has none."""
    result = entry("I6", prednisone_daily(10, start))
    assert (result["status"], result["clears_on"]) == (expected, clears_on)


def test_no_clearing_date_when_the_dose_on_d_is_above_30() -> None:
    result = entry("I6", prednisone_daily(10, 200, end=6), prednisone_daily(40, 5))
    assert result["status"] == "not_met"
    assert result["clears_on"] is None


def test_glucocorticoids_add_up_in_prednisone_equivalents() -> None:
    """Prednisone 10 mg + methylprednisolone 16 mg (x 1.25 = 20) = 30 mg/day; with 15 mg prednisone, 35."""
    methylpred = order(medication("6902", display="methylprednisolone"), 200, dose=dosage(16, "mg", 1, route=ORAL))
    assert status("I6", prednisone_daily(10, 200), methylpred) == "met"
    assert status("I6", prednisone_daily(15, 200), methylpred) == "not_met"


def test_an_iv_pulse_inside_the_window_is_not_stable() -> None:
    """Methylprednisolone 500 mg IV given once, 20 days before D, on top of 10 mg/day prednisone."""
    pulse = medication_administration(medication(text="methylPREDNISolone sodium succinate 500 MG Injection"), days_before(20), dose_mg=500)
    result = entry("I6", prednisone_daily(10, 200), pulse)
    assert result["status"] == "not_met"
    assert result["clears_on"] == after(9)  # the 10 mg/day run starts again on D - 19


def test_a_topical_steroid_does_not_count() -> None:
    cream = order(medication(text="hydrocortisone 1 % Topical Cream"), 10, dose=dosage(None, route=TOPICAL))
    assert status("I6", cream) == "met"


@pytest.mark.parametrize(
    ("record", "words"),
    [
        (order(medication("19831", display="Budesonide"), 100, dose=dosage(9, "mg", 1, route=ORAL)), "no prednisone equivalence"),
        (order(medication("8640", display="prednisone"), 100, dose=dosage(10, "mg", 1)), "route"),  # no route, no form
        (order(medication("312617", display="predniSONE 5 MG Oral Tablet"), 100, dose=dosage(2, "{tbl}", 1, route=ORAL, as_needed=True)), "needed"),
    ],
)
def test_a_dose_that_cannot_be_known_is_unknown(record, words) -> None:
    result = entry("I6", record)
    assert result["status"] == "unknown"
    assert words in result["reason"]


def test_an_unknown_day_does_not_hide_a_day_known_above_30() -> None:
    budesonide = order(medication("19831", display="Budesonide"), 100, dose=dosage(9, "mg", 1, route=ORAL))
    assert status("I6", budesonide, prednisone_daily(40, 100, end=20)) == "not_met"


# I7: if on methotrexate at D, its weekly dose is stable over [D - 28, D].

def weekly_mtx(tablets: int, start: int, end: int | None = None):
    """Methotrexate 2.5 mg tablets once a week (Synthea SCD; timing 1 per 1 wk)."""
    return order(MTX_2_5, start, end=end, dose=dosage(tablets, "{tbl}", every=(1, "wk"), route=ORAL))


def test_not_on_methotrexate_at_d_is_met() -> None:
    assert status("I7") == "met"
    assert status("I7", weekly_mtx(6, 300, end=60)) == "met"


def test_a_stable_weekly_dose_is_met() -> None:
    result = entry("I7", weekly_mtx(6, 200))
    assert result["status"] == "met"
    assert "15 mg/wk" in result["reason"]


def test_a_weekly_subcutaneous_dose_by_timing_code() -> None:
    """Methotrexate 15 mg SC once a week (GTSAbbreviation Q1W), as the US Core example codes route."""
    record = order(medication("6851", display="methotrexate"), 200, dose=dosage(15, "mg", timing_code="Q1W", route=SUBCUTANEOUS))
    assert status("I7", record) == "met"


def test_methotrexate_started_inside_the_window_clears_28_days_after_its_start() -> None:
    result = entry("I7", weekly_mtx(6, 20))
    assert result["status"] == "not_met"
    assert result["clears_on"] == after(8)


@pytest.mark.parametrize(("start", "expected", "clears_on"), [(28, "met", None), (27, "not_met", after(1))])
def test_methotrexate_started_on_the_window_s_first_day_is_stable(start, expected, clears_on) -> None:
    result = entry("I7", weekly_mtx(6, start))
    assert (result["status"], result["clears_on"]) == (expected, clears_on)


def test_a_weekly_dose_change_clears_28_days_after_the_new_dose() -> None:
    result = entry("I7", weekly_mtx(6, 200, end=11), weekly_mtx(8, 10))
    assert result["status"] == "not_met"
    assert "changed" in result["reason"]
    assert result["clears_on"] == after(18)


def test_one_record_of_unknown_dose_over_the_whole_window_is_stable() -> None:
    statement = medication_statement(medication("6851", display="methotrexate"), days_before(200))
    assert status("I7", statement) == "met"


def test_several_records_of_unknown_dose_in_the_window_are_unknown() -> None:
    first = medication_statement(medication("6851", display="methotrexate"), days_before(200), days_before(15), status="completed")
    second = medication_statement(medication("6851", display="methotrexate"), days_before(14))
    assert status("I7", first, second) == "unknown"


# I8: hydroxychloroquine on D, unless documented inability to tolerate (G14, G17).

def test_hydroxychloroquine_taken_on_d_is_met() -> None:
    assert status("I8", hcq()) == "met"
    brand = order(medication(text="Plaquenil 200 mg tablet"), 100, dose=dosage(1, "{tbl}", 2, route=ORAL))
    assert status("I8", brand) == "met"


@pytest.mark.parametrize(("end", "expected"), [(0, "met"), (1, "not_met")])
def test_hydroxychloroquine_must_include_d(end, expected) -> None:
    assert status("I8", hcq(400, end=end)) == expected


def test_stopped_hydroxychloroquine_is_not_met_giving_its_last_end() -> None:
    result = entry("I8", hcq(400, end=30))
    assert result["status"] == "not_met"
    assert days_before(30).isoformat() in result["reason"]


def test_no_medication_records_at_all_is_unknown() -> None:
    result = entry("I8")
    assert result["status"] == "unknown"
    assert "no medication records" in result["reason"]


def test_medication_records_without_hydroxychloroquine_are_not_met() -> None:
    assert status("I8", unrelated_drug()) == "not_met"


HCQ_SUBSTANCE = medication("5521", display="hydroxychloroquine")


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (allergy(HCQ_SUBSTANCE), "met"),
        (allergy(HCQ_SUBSTANCE, type="intolerance"), "met"),
        (allergy(HCQ_SUBSTANCE, type=None, clinical_status=None), "met"),
        (allergy(medication(text="Plaquenil"), type="intolerance"), "met"),
        (allergy(HCQ_SUBSTANCE, clinical_status="resolved"), "not_met"),
        (allergy(HCQ_SUBSTANCE, clinical_status="inactive"), "not_met"),
        (allergy(HCQ_SUBSTANCE, verification="refuted"), "not_met"),
    ],
)
def test_a_documented_allergy_or_intolerance(record, expected) -> None:
    assert status("I8", unrelated_drug(), record) == expected


def test_an_intolerance_needs_no_medication_records() -> None:
    assert status("I8", allergy(HCQ_SUBSTANCE, type="intolerance")) == "met"


def test_adverse_effect_of_antimalarials_of_any_status_is_met() -> None:
    problem = epic_problem("T37.2X5A", None, "Adverse effect of antimalarials, initial encounter", clinical="resolved",
                           onset={"onsetDateTime": "2024-03-01"})
    assert status("I8", unrelated_drug(), problem) == "met"


def test_toxic_maculopathy_alone_is_unknown() -> None:
    maculopathy = epic_problem("H35.381", None, "Toxic maculopathy, right eye", onset={"onsetDateTime": "2025-06-01"})
    result = entry("I8", unrelated_drug(), maculopathy)
    assert result["status"] == "unknown"
    assert "hydroxychloroquine-related" in result["reason"]
    assert status("I8", hcq(), maculopathy) == "met"


# E1: ever exposed to azathioprine, mycophenolate, cyclophosphamide or systemic cyclosporine (G2, G3, G13).

@pytest.mark.parametrize(
    "record",
    [
        order(medication("105611", display="Azathioprine 50 MG Oral Tablet [Imuran]"), 4000, end=3600),
        order(medication("200060", display="mycophenolate mofetil 500 MG Oral Tablet"), 800, end=700),
        order(medication(text="mycophenolic acid 360 MG Delayed Release Oral Tablet"), 800, end=700),
        medication_administration(medication(text="cyclophosphamide 1000 MG Injection"), "2015-03-02", dose_mg=750),
        order(medication("197550", display="cyclophosphamide 50 MG Oral Tablet"), 900, end=800),
        order(medication("241834", display="cycloSPORINE 100 MG Oral Capsule"), 900, end=800),
        order(medication(text="cyclosporine modified"), 900, end=800, dose=dosage(100, "mg", 2, route=ORAL)),
    ],
)
def test_any_named_dmard_ever_is_met_with_no_clearing_date(record) -> None:
    result = entry("E1", record)
    assert result["status"] == "met"
    assert result["clears_on"] is None


def test_ophthalmic_cyclosporine_does_not_count() -> None:
    drops = order(medication(text="cycloSPORINE 0.5 MG/ML Ophthalmic Emulsion [Restasis]"), 300)
    assert status("E1", drops) == "not_met"


def test_cyclosporine_of_unknown_route_class_is_unknown() -> None:
    result = entry("E1", order(medication("3008", display="cyclosporine"), 300, end=200))
    assert result["status"] == "unknown"
    assert "route" in result["reason"]


@pytest.mark.parametrize(
    "record",
    [
        order(medication("108513", display="tacrolimus 1 MG Oral Capsule [Prograf]"), 300, end=200),
        order(medication("205285", display="leflunomide 20 MG Oral Tablet"), 300, end=200),
        order(medication(text="voclosporin 7.9 MG Oral Capsule [Lupkynis]"), 300, end=200),
    ],
)
def test_tier_c_dmards_are_unknown_confirm_with_the_sponsor(record) -> None:
    result = entry("E1", record)
    assert result["status"] == "unknown"
    assert "confirm whether the sponsor counts it" in result["reason"]


def test_topical_tacrolimus_does_not_count() -> None:
    ointment = order(medication(text="tacrolimus 0.1 % Topical Ointment"), 300, dose=dosage(None, route=TOPICAL))
    assert status("E1", ointment) == "not_met"


def test_a_named_dmard_decides_over_a_tier_c_one() -> None:
    azathioprine = order(medication("105611", display="Azathioprine 50 MG Oral Tablet [Imuran]"), 4000, end=3600)
    leflunomide = order(medication("205285", display="leflunomide 20 MG Oral Tablet"), 300, end=200)
    assert status("E1", azathioprine, leflunomide) == "met"


def test_methotrexate_hydroxychloroquine_and_later_records_do_not_count() -> None:
    later = order(medication("105611", display="Azathioprine 50 MG Oral Tablet [Imuran]"), -3)
    assert status("E1", weekly_mtx(6, 200), hcq(), later) == "not_met"
    assert status("E1") == "not_met"


# E2: ever exposed to a B-cell biologic or an agent investigated for SLE (G2, G13).

@pytest.mark.parametrize(
    "drug",
    [
        medication("121191", display="rituximab"),
        medication(text="rituximab-abbs 10 MG/ML Injectable Solution [Truxima]"),
        medication(text="Benlysta 200 MG/ML Auto-Injector"),
        medication("1092437", display="belimumab"),
        medication(text="anifrolumab-fnia 300 MG in 2 ML Injection [Saphnelo]"),
        medication("614391", display="abatacept"),
        medication(text="obinutuzumab 1000 MG/40ML Injection [Gazyva]"),
    ],
)
def test_b_cell_and_sle_investigated_biologics_ever_are_met(drug) -> None:
    result = entry("E2", medication_administration(drug, "2017-06-01", dose_mg=100))
    assert result["status"] == "met"
    assert result["clears_on"] is None


@pytest.mark.parametrize(
    "drug",
    [
        medication("327361", display="adalimumab"),
        medication("1357536", display="tofacitinib"),
        medication(text="natalizumab 300 MG in 15 ML Injection"),
    ],
)
def test_other_biologics_and_jak_inhibitors_are_unknown(drug) -> None:
    result = entry("E2", order(drug, 500, end=400))
    assert result["status"] == "unknown"
    assert "confirm whether the sponsor counts it" in result["reason"]


def test_ivig_is_not_a_biologic_therapy_here() -> None:
    ivig = medication_administration(medication(text="immune globulin intravenous 10 % Injectable Solution"), "2024-01-10", dose_mg=30000)
    assert status("E2", ivig) == "not_met"
    assert status("E2") == "not_met"


# E4: a day of [D - 28, D] above 0.5 mg/kg/day prednisone-equivalent (G6).

@pytest.mark.parametrize(("mg", "kg", "expected"), [(40, 60, "met"), (30, 60, "not_met"), (30, 59, "met"), (10, 60, "not_met")])
def test_strictly_above_half_a_mg_per_kg(mg, kg, expected) -> None:
    result = entry("E4", prednisone_daily(mg, 100), weight(kg))
    assert result["status"] == expected
    assert result["clears_on"] is None  # an ongoing course never clears by itself


def test_a_weight_in_pounds_converts() -> None:
    assert status("E4", prednisone_daily(30, 100), weight(132.3, "[lb_av]")) == "not_met"  # 60.01 kg
    assert status("E4", prednisone_daily(30, 100), weight(130, "[lb_av]")) == "met"  # 58.97 kg


def test_without_a_weight_of_the_last_year_a_dosed_day_is_unknown() -> None:
    result = entry("E4", prednisone_daily(40, 100))
    assert result["status"] == "unknown"
    assert "no body weight" in result["reason"]
    assert status("E4", prednisone_daily(40, 100), weight(60, days=366)) == "unknown"


def test_no_glucocorticoid_needs_no_weight() -> None:
    assert status("E4") == "not_met"
    assert status("E4", prednisone_daily(40, 200, end=29)) == "not_met"  # ended the day before the window


def test_a_course_that_ended_clears_29_days_after_its_last_day() -> None:
    result = entry("E4", prednisone_daily(40, 60, end=10), weight(60))
    assert result["status"] == "met"
    assert result["clears_on"] == after(19)


def test_an_iv_pulse_is_met_and_clears() -> None:
    pulse = medication_administration(medication(text="methylPREDNISolone sodium succinate 500 MG Injection"), days_before(20), dose_mg=500)
    result = entry("E4", pulse, weight(70))
    assert result["status"] == "met"
    assert result["clears_on"] == after(9)


def test_a_dose_that_cannot_be_known_leaves_it_unknown() -> None:
    budesonide = order(medication("19831", display="Budesonide"), 100, dose=dosage(9, "mg", 1, route=ORAL))
    assert status("E4", budesonide, weight(60)) == "unknown"


def test_high_dose_steroids_make_the_patient_ineligible_until_they_clear() -> None:
    """A course of 40 mg/day that ended 10 days ago: E4 met, and I6 not met (a change from 40 to
    0 inside the window); both clear by themselves, so the patient may join from the later date."""
    result = evaluate(prednisone_daily(40, 60, end=10), weight(60))
    assert criterion(result, "E4")["status"] == "met"
    assert criterion(result, "I6")["status"] == "not_met"
    assert result["decision"] == "ineligible"
    assert criterion(result, "E4")["clears_on"] == after(19)
    assert criterion(result, "I6")["clears_on"] == after(19)
    assert result["eligible_from"] is None  # I2 (no lupus record) blocks without a date
