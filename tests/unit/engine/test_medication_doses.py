"""Daily doses and the high-dose steroid course (E1, E12) under the revised ground rules.

Daily dose = dose × doses per day. The dose is doseQuantity (or the low end of doseRange)
in mg, or product units (tablets, mL of a solution) × the strength from
Medication.ingredient.strength, else from the RxNorm name; doses per day from
timing.repeat, else timing.code (GTSAbbreviation); dosage text is not parsed. A
MedicationAdministration's daily dose is the sum of that day's doses. A steroid whose
daily dose is unknown makes each course part whose window it overlaps unknown, naming
the record; a known course that already meets the rule stays met. E12's course: ≥ 100
mg/day prednisone-equivalent on ≥ 14 consecutive days overlapping [D−28, D].
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fhir_builders import (
    by_reference,
    days_before,
    dosage,
    ingredient,
    medication,
    medication_administration,
    medication_dispense,
    medication_request,
    medication_resource,
    medication_statement,
)
from trial_eval import criterion, evaluate, status_of

PREDNISONE = medication("8640", "prednisone")
PREDNISONE_5MG_TABLET = medication("312617", display="predniSONE 5 MG Oral Tablet")
METHYLPREDNISOLONE = medication("6902", "methylprednisolone")
HYDROCORTISONE = medication("5492", "hydrocortisone")


def _order(drug: dict, dose: dict, first_day_before: int = 20, days: int = 14, **kwargs: object) -> dict:
    """A completed order covering `days` days from `first_day_before` days before D."""
    start = days_before(first_day_before)
    return medication_request(drug, start, status="completed", validity_end=start + timedelta(days=days - 1), dose=dose,
                              **kwargs)


# product units × strength


def _epic_prednisone_order(tablets: float, mg_per_tablet: float = 20) -> dict:
    """Epic's MedicationRequest with medicationReference to a contained Medication that states
    its ingredient strength (20 mg per tablet), the dose ordered in tablets ({tbl})."""
    med = medication_resource(id="med1", text="predniSONE 20 MG tablet", ingredients=(
        ingredient(medication("8640", display="predniSONE"), mg=mg_per_tablet, per=(1, "tablet", "TAB")),))
    order = _order(medication(), dosage(tablets, "{tbl}", per_day=1))
    return by_reference(order, "#med1", display="predniSONE (DELTASONE) 20 MG tablet", contained=med)


@pytest.mark.parametrize(("tablets", "expected"), [(5, "met"), (4.95, "not_met")])
def test_tablets_times_the_medication_ingredient_strength(tablets: float, expected: str) -> None:
    assert status_of("E12", _epic_prednisone_order(tablets)) == expected


def test_ingredient_strength_wins_over_the_name() -> None:
    """The contained Medication says 25 mg per tablet: 4 tablets are 100 mg, whatever the text."""
    assert status_of("E12", _epic_prednisone_order(4, mg_per_tablet=25)) == "met"


@pytest.mark.parametrize(("tablets", "expected"), [(20, "met"), (19, "not_met")])
def test_tablets_times_the_strength_in_the_rxnorm_scd_name(tablets: int, expected: str) -> None:
    """predniSONE 5 MG Oral Tablet, tablets written as the orderableDrugForm code TAB."""
    assert status_of("E12", _order(PREDNISONE_5MG_TABLET, dosage(tablets, "TAB", per_day=1))) == expected


def test_an_sbd_name_states_the_strength_too() -> None:
    """An SBD code the tables lack, identified and dosed by its display."""
    tablets = medication("2626231", display="methylprednisolone 16 MG Oral Tablet [Medrol]")
    assert status_of("E12", _order(tablets, dosage(5, "{tbl}", per_day=1))) == "met"  # 80 mg × 1.25 = 100


def test_a_brand_name_states_the_strength() -> None:
    """Text only, a brand with its strength: 5 tablets of Medrol 16 mg = 80 mg methylprednisolone."""
    assert status_of("E12", _order(medication(text="Medrol 16 MG Oral Tablet"), dosage(5, "TAB", per_day=1))) == "met"


@pytest.mark.parametrize(("ml", "expected"), [(34, "met"), (33, "not_met")])
def test_millilitres_of_a_solution_times_its_strength_per_ml(ml: int, expected: str) -> None:
    solution = medication(text="prednisoLONE 3 MG/ML Oral Solution")
    assert status_of("E12", _order(solution, dosage(ml, "mL", per_day=1))) == expected


def test_strength_per_volume_ratio_of_a_medication() -> None:
    """Medication.ingredient.strength 100 mg per 5 mL: 5 mL twice a day is 200 mg."""
    med = medication_resource(id="sol", text="prednisolone oral solution", ingredients=(
        ingredient(medication("8638", display="prednisolone"), mg=100, per=(5, "mL", "mL")),))
    order = by_reference(_order(medication(), dosage(5, "mL", per_day=2)), "#sol", contained=med)
    assert status_of("E12", order) == "met"


def test_tablets_without_any_strength_are_unknown() -> None:
    order = _order(PREDNISONE, dosage(5, "{tbl}", per_day=1), id="mr-no-strength")
    entry = criterion(evaluate(order), "E12")
    assert entry["status"] == "unknown"
    assert "MedicationRequest/mr-no-strength" in entry["reason"]


def test_per_ml_strength_shows_in_the_evidence() -> None:
    """20 ML tocilizumab 20 MG/ML Injection (Synthea SCD), 40 mL given: 800 mg that day."""
    given = medication_administration(medication("1657981", display="20 ML tocilizumab 20 MG/ML Injection"),
                                      days_before(30), dose=(40, "mL"))
    evidence = criterion(evaluate(given), "E11")["evidence"]
    assert "800 mg/day" in evidence[0]["value"]


# doses per day: timing.repeat, else timing.code


@pytest.mark.parametrize(
    ("dose", "code", "expected"),
    [(200, "QOD", "met"), (198, "QOD", "not_met"), (50, "BID", "met"), (34, "TID", "met"), (33, "TID", "not_met"),
     (25, "QID", "met"), (100, "QD", "met"), (100, "AM", "met"), (700, "Q1W", "met"), (690, "Q1W", "not_met"),
     (25, "Q6H", "met"), (50, "Q12H", "met")],
)
def test_timing_code_gives_doses_per_day(dose: float, code: str, expected: str) -> None:
    """QOD halves a dose: 200 mg every other day is 100 mg/day."""
    assert status_of("E12", _order(PREDNISONE, dosage(dose, timing_code=code))) == expected


def test_timing_code_text_that_is_an_abbreviation() -> None:
    """Oracle Health's MedicationStatement: timing.code with a Millennium code-set coding and a
    SNOMED coding, and the text "BID"; 50 mg twice a day."""
    statement = medication_statement(PREDNISONE, days_before(20), days_before(7), status="completed", dose=dosage(50))
    statement["dosage"][0]["timing"] = {"code": {"coding": [
        {"system": "https://fhir.cerner.com/ec2458f2-1e24-41c8-b71b-0e701af7583d/codeSet/4003", "code": "696530",
         "display": "BID"},
        {"system": "http://snomed.info/sct", "code": "229799001", "display": "Twice a day"}], "text": "BID"}}
    assert status_of("E12", statement) == "met"
    statement["dosage"][0]["timing"]["code"]["text"] = "twice a day"
    assert status_of("E12", statement) == "unknown"


@pytest.mark.parametrize(("every", "dose", "expected"), [((12, "h"), 50, "met"), ((8, "h"), 33.3, "not_met"),
                                                         ((8, "h"), 33.4, "met"), ((2, "d"), 200, "met")])
def test_timing_repeat_period_in_hours_or_days(every: tuple[float, str], dose: float, expected: str) -> None:
    """Every 12 hours is exactly twice a day: 50 mg is exactly 100 mg/day."""
    assert status_of("E12", _order(PREDNISONE, dosage(dose, every=every))) == expected


@pytest.mark.parametrize(("low", "expected"), [(100, "met"), (90, "not_met")])
def test_dose_range_counts_its_low_end(low: float, expected: str) -> None:
    assert status_of("E12", _order(PREDNISONE, dosage(dose_range=(low, 120), per_day=1))) == expected


def test_dosage_text_is_not_parsed() -> None:
    order = _order(PREDNISONE, {"sequence": 1, "text": "prednisone 60 mg by mouth twice daily"})
    assert status_of("E12", order) == "unknown"


def test_split_dose_with_one_sequence_adds_up() -> None:
    """60 mg in the morning and 40 mg at bedtime, two instructions of one sequence."""
    order = _order(PREDNISONE, dosage(60, timing_code="AM"))
    order["dosageInstruction"].append(dosage(40, timing_code="BED"))
    assert status_of("E12", order) == "met"


def test_instructions_in_sequence_are_a_taper_of_unknown_daily_dose() -> None:
    order = _order(PREDNISONE, dosage(120, per_day=1))
    order["dosageInstruction"].append(dosage(60, per_day=1, sequence=2))
    assert status_of("E12", order) == "unknown"


# administrations: the doses of one calendar day add up


def _mar(doses_per_day: int, mg: float, days: int = 14) -> list[dict]:
    """An inpatient MAR (Epic MedicationAdministration): IV methylprednisolone given
    `doses_per_day` times a day, each `mg`."""
    times = ["06:00:00Z", "18:00:00Z", "12:00:00Z"][:doses_per_day]
    return [medication_administration(METHYLPREDNISOLONE, days_before(day), dose_mg=mg, at=at)
            for day in range(1, days + 1) for at in times]


@pytest.mark.parametrize(("doses", "expected"), [(2, "met"), (1, "not_met")])
def test_administrations_of_one_day_add_up(doses: int, expected: str) -> None:
    """Two 40 mg doses a day = 80 mg methylprednisolone = 100 mg prednisone-equivalent."""
    assert status_of("E12", *_mar(doses, 40)) == expected


def test_an_administration_in_tablets_uses_the_product_strength() -> None:
    given = [medication_administration(PREDNISONE_5MG_TABLET, days_before(d), dose=(20, "TAB")) for d in range(1, 15)]
    assert status_of("E12", *given) == "met"


# the same drug in two records is one dose, different steroids add up


def test_a_dispense_of_the_prescription_does_not_double_the_dose() -> None:
    """Prednisone 60 mg/day ordered, and dispensed with the same instructions."""
    order = _order(PREDNISONE, dosage(60), days=30, first_day_before=29)
    fill = medication_dispense(PREDNISONE, days_before(29), days_supply=30, dose=dosage(60))
    assert status_of("E12", order, fill) == "not_met"


def test_different_steroids_on_the_same_days_add_up() -> None:
    assert status_of("E12", _order(PREDNISONE, dosage(60)), _order(HYDROCORTISONE, dosage(160))) == "met"  # 60 + 40


# unknown daily dose


def test_steroid_of_unknown_dose_in_the_window_makes_the_course_unknown_naming_it() -> None:
    """A US Core MedicationDispense of prednisone without dosage instructions."""
    fill = medication_dispense(PREDNISONE_5MG_TABLET, days_before(10), days_supply=30, id="md-pred")
    entry = criterion(evaluate(fill), "E12")
    assert entry["status"] == "unknown"
    assert "MedicationDispense/md-pred" in entry["reason"]
    assert [e["reference"] for e in entry["evidence"]] == ["MedicationDispense/md-pred"]


def test_a_single_day_of_unknown_dose_in_the_window_is_unknown_too() -> None:
    """Never not_met: the page makes every course part the record overlaps unknown."""
    given = medication_administration(METHYLPREDNISOLONE, days_before(3))
    assert status_of("E12", given) == "unknown"


def test_unknown_dose_outside_the_window_leaves_the_course_decided() -> None:
    old = medication_statement(PREDNISONE, days_before(60), days_before(40), status="completed")
    assert status_of("E12", old) == "not_met"


def test_unknown_dose_just_before_the_window_that_could_complete_a_course_is_unknown() -> None:
    """13 days at 100 mg ending on D−28, and the day before them a steroid of unknown dose."""
    known = _order(PREDNISONE, dosage(100), first_day_before=40, days=13)
    unknown = medication_administration(METHYLPREDNISOLONE, days_before(41), id="ma-before")
    entry = criterion(evaluate(known, unknown), "E12")
    assert entry["status"] == "unknown"
    assert "MedicationAdministration/ma-before" in entry["reason"]
    assert status_of("E12", known) == "not_met"


@pytest.mark.parametrize(("unknown_from", "clears_on"), [(10, days_before(17) + timedelta(days=29)), (16, None)])
def test_a_known_course_stays_met_beside_a_steroid_of_unknown_dose(unknown_from: int, clears_on: date | None) -> None:
    """100 mg on D−30..D−17, and hydrocortisone of unknown dose, ongoing: from D−10 it cannot
    prolong the course; from D−16 it may have, up to D, so the course has no clearing date."""
    known = _order(PREDNISONE, dosage(100), first_day_before=30, days=14)
    unknown = medication_statement(HYDROCORTISONE, days_before(unknown_from), status="active")
    entry = criterion(evaluate(known, unknown), "E12")
    assert entry["status"] == "met"
    assert entry["clears_on"] == (clears_on.isoformat() if clears_on else None)


def test_a_known_course_that_ended_clears_after_its_last_day() -> None:
    known = _order(PREDNISONE, dosage(100), first_day_before=30, days=14)  # D−30..D−17
    entry = criterion(evaluate(known), "E12")
    assert entry["status"] == "met"
    assert entry["clears_on"] == (days_before(17) + timedelta(days=29)).isoformat()


def test_e1_names_the_record_of_unknown_dose_in_its_8_week_window() -> None:
    old = medication_statement(PREDNISONE, days_before(50), days_before(40), status="completed", id="ms-old")
    entry = criterion(evaluate(old), "E1")
    assert entry["status"] == "unknown"
    assert "MedicationStatement/ms-old" in entry["reason"]
