"""BLISS-76 (NCT00410384) drug exclusions E2 (B-cell therapy, ever, G13 tiers), E3 (an
investigational biologic in the past year, never not_met) and E4 (IV cyclophosphamide
within 180 days, G3 route class), read from the evaluation JSON of the shipped file.

Fixtures: Synthea MedicationRequests (an RxNorm SCD with its display, no route: Synthea's
1734919 "Cyclophosphamide 1000 MG Injection"), infusion-centre MedicationAdministrations
with a SNOMED CT route (FHIR R4 example 'medadmin0301'), free-text MedicationStatements as
Epic sends an outside medication, US Core MedicationRequests.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fhir_builders import days_before, medication, medication_request, medication_statement
from nct00410384_records import IM, IV, ORAL, administration, after, entry, statement_of_text, status, synthea_request

CYCLOPHOSPHAMIDE_IV = ("1734919", "Cyclophosphamide 1000 MG Injection")
CYCLOPHOSPHAMIDE_ORAL = ("197550", "cyclophosphamide 50 MG Oral Tablet")
CYCLOPHOSPHAMIDE = medication("3002", display="cyclophosphamide")  # an ingredient-only code: no dose form

# --- E2 any B-cell targeted therapy, ever ------------------------------------------------------


@pytest.mark.parametrize(
    "drug",
    [
        medication("1092437", display="belimumab"),  # belimumab itself counts
        medication(None, text="Rituxan 500 mg IV"),  # a brand in free text
        medication("121191", display="rituximab"),
        medication("974779", display="obinutuzumab"),
        medication("2373951", display="inebilizumab"),  # anti-CD19
        medication(None, text="tisagenlecleucel (Kymriah) infusion"),  # CD19 CAR-T
        medication(None, text="epratuzumab"),  # anti-CD22, by name
        medication(None, text="atacicept"),  # BAFF/APRIL, by name
    ],
)
def test_e2_any_exposure_ever_is_met_with_no_clears_on(drug) -> None:
    found = entry("E2", medication_request(drug, "2012-03-01", status="completed"))
    assert found["status"] == "met"
    assert found["clears_on"] is None
    assert "B-cell targeted therapy on record" in found["reason"]


@pytest.mark.parametrize(
    "drug",
    [medication("1442981", display="ibrutinib 140 MG Oral Capsule"), medication(None, text="zanubrutinib"),
     medication("1721947", display="daratumumab")],
)
def test_e2_btk_inhibitors_and_daratumumab_are_unknown_tier_c(drug) -> None:
    found = entry("E2", medication_request(drug, "2022-01-01", status="completed"))
    assert found["status"] == "unknown"
    assert "B-lineage-directed; confirm whether the sponsor counts it" in found["reason"]


def test_e2_a_met_record_decides_over_a_tier_c_one() -> None:
    ibrutinib = medication_request(medication("1442981", display="ibrutinib"), "2022-01-01", status="completed")
    rituximab = medication_request(medication("121191", display="rituximab"), "2012-01-01", status="completed")
    assert status("E2", ibrutinib, rituximab) == "met"


@pytest.mark.parametrize(
    "resources",
    [[], [medication_request(medication("121191", display="rituximab"), days_before(-3), status="active")],  # after D
     [medication_request(medication("5521", display="hydroxychloroquine"), "2019-01-01")]],
)
def test_e2_no_b_cell_therapy_on_or_before_d_is_not_met(resources) -> None:
    assert status("E2", *resources) == "not_met"


# --- E3 an investigational biologic in the past year -------------------------------------------


def test_e3_an_investigational_biologic_in_the_year_is_met_until_12_months_and_a_day_after() -> None:
    ended = days_before(150)
    found = entry("E3", statement_of_text("epratuzumab (study drug, open-label extension)", days_before(200), ended))
    assert found["status"] == "met"
    assert found["clears_on"] == (ended.replace(year=ended.year + 1) + timedelta(days=1)).isoformat()  # L + 12 months + 1 day


def test_e3_the_year_is_the_same_day_of_the_month_a_year_earlier() -> None:
    """[D − 12 months, D]: the last exposure on 2025-11-25 is in; on 2025-11-24 it is not."""
    assert status("E3", statement_of_text("blisibimod", "2025-11-01", "2025-11-25")) == "met"
    assert status("E3", statement_of_text("blisibimod", "2025-11-01", "2025-11-24")) == "unknown"


@pytest.mark.parametrize(
    "resources",
    [
        [],  # trial participation is not in data
        [statement_of_text("atacicept", days_before(420), days_before(380))],  # more than a year ago
        [statement_of_text("anifrolumab (Saphnelo)", days_before(100), days_before(50))],  # approved: not on the list
    ],
)
def test_e3_is_never_not_met_from_data(resources) -> None:
    found = entry("E3", *resources)
    assert found["status"] == "unknown"
    assert "confirm at screening" in found["reason"] and "biological investigational agent" in found["reason"]


# --- E4 IV cyclophosphamide within 180 days -----------------------------------------------------


def test_e4_synthea_injection_with_no_route_code_is_iv_and_clears_on_l_plus_181() -> None:
    given = days_before(100)
    found = entry("E4", synthea_request(*CYCLOPHOSPHAMIDE_IV, given))
    assert found["status"] == "met"
    assert found["clears_on"] == (given + timedelta(days=181)).isoformat()


def test_e4_the_injection_code_sent_without_its_display_is_still_iv() -> None:
    """G3 reads the RxNorm name of 1734919 ("cyclophosphamide 1000 MG Injection")."""
    record = medication_request(medication(CYCLOPHOSPHAMIDE_IV[0]), days_before(40), status="completed")
    assert status("E4", record) == "met"


@pytest.mark.parametrize(("days", "expected", "clears_in"), [(180, "met", 1), (181, "not_met", None), (1, "met", 180)])
def test_e4_the_180_day_window_includes_both_ends(days, expected, clears_in) -> None:
    found = entry("E4", administration(CYCLOPHOSPHAMIDE, days_before(days), route=IV, dose_mg=750))
    assert found["status"] == expected
    assert found["clears_on"] == (after(clears_in) if clears_in is not None else None)


def test_e4_an_iv_route_code_makes_an_ingredient_coded_record_iv() -> None:
    assert status("E4", administration(CYCLOPHOSPHAMIDE, days_before(30), route=IV, dose_mg=750)) == "met"


@pytest.mark.parametrize(
    "record",
    [
        synthea_request(*CYCLOPHOSPHAMIDE_ORAL, days_before(20), status="active", supply_days=30),  # oral tablets
        administration(CYCLOPHOSPHAMIDE, days_before(30), route=ORAL, dose_mg=100),
        administration(CYCLOPHOSPHAMIDE, days_before(30), route=IM, dose_mg=750),  # IM is not IV
    ],
)
def test_e4_a_cyclophosphamide_record_of_another_route_class_does_not_count(record) -> None:
    found = entry("E4", record)
    assert found["status"] == "not_met"
    assert "no record of IV cyclophosphamide within 180 days" in found["reason"]


@pytest.mark.parametrize(
    "record",
    [
        medication_statement(CYCLOPHOSPHAMIDE, days_before(20), days_before(20), status="completed"),  # ingredient only
        statement_of_text("Cytoxan monthly pulses", days_before(50), days_before(20)),  # brand, no form words
    ],
)
def test_e4_route_unknown_is_unknown_naming_the_record(record) -> None:
    found = entry("E4", record)
    assert found["status"] == "unknown"
    assert "route class unknown" in found["reason"] and "confirm whether it was IV" in found["reason"]


def test_e4_route_unknown_beside_an_iv_record_is_met() -> None:
    unknown_route = medication_statement(CYCLOPHOSPHAMIDE, days_before(20), days_before(20), status="completed")
    iv = synthea_request(*CYCLOPHOSPHAMIDE_IV, days_before(100))
    assert status("E4", unknown_route, iv) == "met"


def test_e4_route_unknown_outside_the_window_does_not_matter() -> None:
    old = medication_statement(CYCLOPHOSPHAMIDE, days_before(400), days_before(390), status="completed")
    assert status("E4", old) == "not_met"
