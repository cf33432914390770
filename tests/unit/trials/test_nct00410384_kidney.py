"""BLISS-76 (NCT00410384) E5 severe lupus kidney disease: an OR of (a) proteinuria (24-h
protein > 6 g/24h, or a 24-h or spot UPCR > 6 g/g), (b) serum creatinine > 2.5 mg/dL,
(c) dialysis in 90 days or dialysis dependence, (d) a high-dose steroid course overlapping
the last 90 days; `clears_on` = L + 91 only for ended dialysis or steroid parts.

Fixtures: US Core Observation Lab shapes (UCUM valueQuantity; a 24-h collection as an
effectivePeriod), Oracle Health (Cerner) lab results with a code set 72 coding first and
µmol/L, Synthea's "Renal dialysis" Procedure 265764009, Epic problem-list Z99.2, and
Synthea-style prednisone MedicationRequests ("predniSONE 20 MG Oral Tablet").
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from ehr_shapes import collection, epic_problem, lab, lab_value, quantity, ucum
from fhir_builders import days_before, dosage, medication, medication_request, observation, procedure
from nct00410384_records import after, entry, status, upcr

NORMAL_CREATININE = observation("2160-0", 0.8, "mg/dL", on=days_before(5))
LOW_PROTEIN = observation("2889-4", 0.3, "g/(24.h)", on=days_before(5))
PREDNISONE = medication("312615", display="predniSONE 20 MG Oral Tablet")
BETAMETHASONE = medication(None, text="betamethasone 0.6 MG Oral Tablet")


def course(first_day_before: int, last_day_before: int | None, mg_per_day: float = 100, *, status: str = "completed") -> dict:
    """Prednisone tablets from D − first to D − last (None: still active), `mg_per_day` a day."""
    end = days_before(last_day_before) if last_day_before is not None else None
    return medication_request(PREDNISONE, days_before(first_day_before), status=status, validity_end=end,
                              dose=dosage(mg_per_day / 20, unit="TAB", per_day=1))


# --- (a) proteinuria ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (observation("2889-4", 6500, "mg/(24.h)", on=days_before(10)), "met"),  # mg/(24.h) ÷ 1000
        (observation("2889-4", 6000, "mg/(24.h)", on=days_before(10)), "not_met"),  # 6 g is not above 6
        (observation("2889-4", 6.01, "g/(24.h)", on=days_before(90)), "met"),  # 90 days back is recent
        (upcr("2890-2", 6100, "mg/g", days_before(10)), "met"),  # a spot ratio counts as equivalent
        (upcr("2890-2", 6, "g/g", days_before(10)), "not_met"),
        (upcr("2890-2", 700, "mg/mmol", days_before(10)), "met"),  # × 0.00884 = 6.19 g/g
        (upcr("13801-6", 6.5, "mg/mg", days_before(10)), "met"),  # a reported 24-h ratio
        (upcr("2890-2", 300, "mg/g", days_before(10)), "not_met"),
    ],
)
def test_e5_proteinuria_by_24h_protein_or_ratio(result, expected) -> None:
    assert status("E5", result, NORMAL_CREATININE) == expected


def test_e5_a_24h_collection_sent_as_an_effective_period() -> None:
    """US Core writes a timed urine collection with effectivePeriod; it dates by its start."""
    protein = lab_value("2889-4", ucum(7.2, "g/(24.h)"),
                        effective=collection(f"{days_before(11).isoformat()}T07:00:00Z", f"{days_before(10).isoformat()}T07:00:00Z"))
    assert status("E5", protein) == "met"


def test_e5_the_measure_taken_decides_the_proteinuria_part() -> None:
    """With a recent UPCR and no 24-h protein (or the reverse), the missing measure does not
    hold the part open: 'no recent result makes that part unknown'."""
    assert status("E5", upcr("2890-2", 0.4, "g/g", days_before(20)), NORMAL_CREATININE) == "not_met"
    assert status("E5", LOW_PROTEIN, NORMAL_CREATININE) == "not_met"
    assert status("E5", LOW_PROTEIN, upcr("2890-2", 6.5, "g/g", days_before(20)), NORMAL_CREATININE) == "met"


def test_e5_no_recent_protein_measure_is_unknown_naming_both() -> None:
    found = entry("E5", NORMAL_CREATININE, observation("2889-4", 7, "g/(24.h)", on=days_before(91)))
    assert found["status"] == "unknown"
    assert "no 24-h urine protein result in the last 90 days" in found["reason"]
    assert "no urine protein/creatinine ratio result in the last 90 days" in found["reason"]


def test_e5_a_ratio_without_unit_is_unknown() -> None:
    found = entry("E5", upcr("2890-2", 3, None, days_before(10)), NORMAL_CREATININE, LOW_PROTEIN)
    assert found["status"] == "unknown"
    assert "ratio without unit" in found["reason"]


def test_e5_a_met_lab_part_has_no_clears_on() -> None:
    found = entry("E5", observation("2889-4", 6500, "mg/(24.h)", on=days_before(10)))
    assert found["status"] == "met" and found["clears_on"] is None


# --- (b) serum creatinine ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "code", "expected"),
    [
        (2.5, "mg/dL", "2160-0", "not_met"),  # not above 2.5
        (2.51, "mg/dL", "2160-0", "met"),
        (222, "umol/L", "14682-9", "met"),  # 222 ÷ 88.42 = 2.51 mg/dL
        (221, "umol/L", "14682-9", "not_met"),  # 2.4994 mg/dL
    ],
)
def test_e5_creatinine_compared_in_mg_per_dl(value, unit, code, expected) -> None:
    """Oracle Health sends a code set 72 coding before LOINC, the unit as UCUM code."""
    result = lab(code, effective={"effectiveDateTime": f"{days_before(7).isoformat()}T10:20:00Z"}, value=quantity(value, unit, unit))
    assert status("E5", result, LOW_PROTEIN) == expected


def test_e5_creatinine_older_than_90_days_is_not_recent() -> None:
    old = observation("2160-0", 3.4, "mg/dL", on=days_before(91))
    found = entry("E5", old, LOW_PROTEIN)
    assert found["status"] == "unknown" and "no serum creatinine result in the last 90 days" in found["reason"]


# --- (c) dialysis ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "expected", "clears_in"), [(90, "met", 1), (40, "met", 51), (91, "not_met", None)])
def test_e5_a_dialysis_procedure_in_90_days_clears_on_l_plus_91(days, expected, clears_in) -> None:
    found = entry("E5", procedure("snomed", "265764009", days_before(days)), LOW_PROTEIN, NORMAL_CREATININE)
    assert found["status"] == expected
    assert found["clears_on"] == (after(clears_in) if clears_in is not None else None)


def test_e5_dialysis_dependence_is_met_with_no_clears_on() -> None:
    dependence = epic_problem("Z99.2", text="Dependence on renal dialysis", onset={"onsetDateTime": "2025-02-01"})
    found = entry("E5", dependence, procedure("snomed", "302497006", days_before(3)))
    assert found["status"] == "met" and found["clears_on"] is None


def test_e5_a_lab_part_beside_an_ended_dialysis_gives_no_clears_on() -> None:
    found = entry("E5", procedure("snomed", "265764009", days_before(40)), observation("2160-0", 3.1, "mg/dL", on=days_before(5)))
    assert found["status"] == "met" and found["clears_on"] is None


# --- (d) a high-dose steroid course -----------------------------------------------------------------


def test_e5_a_14_day_course_at_100_mg_ended_in_the_window_clears_on_l_plus_91() -> None:
    found = entry("E5", course(100, 87), LOW_PROTEIN, NORMAL_CREATININE)  # D-100 .. D-87: 14 days, reaches the window
    assert found["status"] == "met"
    assert found["clears_on"] == (days_before(87) + timedelta(days=91)).isoformat()


@pytest.mark.parametrize(
    "record",
    [
        course(100, 88),  # 13 days
        course(110, 91),  # 20 days, all before the window
        course(60, 30, mg_per_day=90),  # below 100 mg/day
    ],
)
def test_e5_no_qualifying_course(record) -> None:
    assert status("E5", record, LOW_PROTEIN, NORMAL_CREATININE) == "not_met"


def test_e5_an_ongoing_course_has_no_clears_on() -> None:
    found = entry("E5", course(20, None, status="active"), LOW_PROTEIN, NORMAL_CREATININE)
    assert found["status"] == "met" and found["clears_on"] is None


def test_e5_ended_dialysis_and_ended_course_clear_on_the_later_date() -> None:
    found = entry("E5", procedure("snomed", "265764009", days_before(40)), course(80, 60), LOW_PROTEIN, NORMAL_CREATININE)
    assert found["status"] == "met"
    assert found["clears_on"] == after(51)  # dialysis D-40 + 91; the course clears earlier (D-60 + 91)


def test_e5_a_glucocorticoid_without_a_prednisone_factor_is_unknown_never_not_met() -> None:
    """The portfolio GLUCOCORTICOID list: betamethasone has no factor, so its days have an unknown dose."""
    found = entry("E5", medication_request(BETAMETHASONE, days_before(30), dose=dosage(6, per_day=1)), LOW_PROTEIN, NORMAL_CREATININE)
    assert found["status"] == "unknown"
    assert "high-dose steroid course" in found["reason"] and "not ruled out" in found["reason"]


def test_e5_a_topical_steroid_is_left_out() -> None:
    cream = medication_request(medication(None, text="betamethasone dipropionate 0.5 MG/G Topical Cream"), days_before(30))
    assert status("E5", cream, LOW_PROTEIN, NORMAL_CREATININE) == "not_met"


# --- all parts ---------------------------------------------------------------------------------------


def test_e5_not_met_only_when_every_part_is_decided() -> None:
    found = entry("E5", LOW_PROTEIN, NORMAL_CREATININE)
    assert found["status"] == "not_met"
    for words in ("24-h urine protein 0.3", "serum creatinine 0.8", "no record of dialysis within 90 days",
                  "no record of active dialysis dependence", "no high-dose steroid course"):
        assert words in found["reason"]
