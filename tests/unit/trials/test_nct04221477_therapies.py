"""NCT04221477 (REGENCY) E3.1, E3.2 and E6: anti-CD20 therapy less than 9 months before D,
cyclophosphamide or a systemic calcineurin inhibitor in the 2 months before D, and a
documented intolerance to a study therapy (criteria-nct04221477.md; portfolio G1, G3, G14).

Fixtures: infusions as the FHIR R4 MedicationAdministration example 'medadminexample03'
writes them (dosage.route IV); MedicationStatements and MedicationRequests as the US Core
examples write them (an RxNorm coding with its display, or a text only, as Epic sends an
unmapped drug); Synthea's lupus and kidney_transplant modules' SCDs (tacrolimus capsules,
cyclophosphamide injection); AllergyIntolerance as the US Core AllergyIntolerance example.
"""

from __future__ import annotations

from datetime import date

import pytest
from fhir_builders import (
    allergy,
    days_before,
    dosage,
    medication,
    medication_request,
    medication_statement,
)
from regency_patients import candidate, entry, evaluation, infusion

RITUXIMAB = medication("121191", display="rituximab")
OBINUTUZUMAB_BRAND = medication(text="Gazyva 1000 MG/40ML intravenous solution")
OFATUMUMAB_PEN = medication(text="ofatumumab 20 MG/0.4ML Auto-Injector [Kesimpta]")  # subcutaneous
BELIMUMAB = medication("1092437", display="belimumab")
TACROLIMUS_CAPSULE = medication("198377", display="tacrolimus 1 MG Oral Capsule")  # Synthea kidney_transplant
TACROLIMUS_OINTMENT = medication("284520", display="tacrolimus 0.001 MG/MG Topical Ointment [Protopic]")
CYCLOSPORINE_EYE_DROPS = medication(text="cycloSPORINE 0.5 MG/ML Ophthalmic Emulsion [Restasis]")
CYCLOSPORINE_CAPSULE = medication("241834", display="cyclosporine, modified 100 MG Oral Capsule")  # Synthea lupus
CYCLOPHOSPHAMIDE_INJECTION = medication("1734919", display="Cyclophosphamide 1000 MG Injection")  # Synthea lupus
CYCLOPHOSPHAMIDE_TABLET = medication("197550", display="cyclophosphamide 50 MG Oral Tablet")
TACROLIMUS_INGREDIENT = medication("42316", display="tacrolimus")  # ingredient only: no route, no form
VOCLOSPORIN = medication(text="Lupkynis (voclosporin) 7.9 MG Oral Capsule")
ORAL = ("26643006", "Oral route")


def course(drug: dict, start: date, end: date, **kwargs) -> dict:
    """A completed MedicationStatement over [start, end], as the US Core MedicationStatement example."""
    return medication_statement(drug, start, end, status="completed", **kwargs)


# --- E3.1: anti-CD20 less than 9 months before D (G1 "less than") -----------------------------
# D = 2026-11-25: D − 9 months = 2026-02-25, a day outside the window (D − 9 months, D].


def test_an_infusion_the_day_after_9_months_before_d_is_met_and_clears_on_l_plus_9_months() -> None:
    found = entry("E3.1", infusion(RITUXIMAB, date(2026, 2, 26)))
    assert found["status"] == "met"
    assert found["clears_on"] == "2026-11-26"


def test_an_infusion_exactly_9_months_before_d_is_outside() -> None:
    found = entry("E3.1", infusion(RITUXIMAB, date(2026, 2, 25)))
    assert found["status"] == "not_met"
    assert "last exposure ended 2026-02-25" in found["reason"]


@pytest.mark.parametrize(
    ("as_of", "status", "clears_on"),
    [(date(2026, 9, 30), "met", "2026-10-01"), (date(2026, 10, 1), "not_met", None)],
)
def test_nine_months_on_a_31st_clears_when_the_window_no_longer_holds_it(as_of: date, status: str, clears_on: str | None) -> None:
    """G1's example: L = 2025-12-31, L + 9 months is 2026-09-30, whose window (2025-12-30,
    2026-09-30] still holds L, so it clears on 2026-10-01."""
    found = entry("E3.1", infusion(RITUXIMAB, date(2025, 12, 31)), as_of=as_of)
    assert (found["status"], found["clears_on"]) == (status, clears_on)


def test_an_ongoing_anti_cd20_has_no_clearing_date() -> None:
    found = entry("E3.1", medication_statement(RITUXIMAB, days_before(400)))
    assert (found["status"], found["clears_on"]) == ("met", None)


@pytest.mark.parametrize(
    "record",
    [
        infusion(OBINUTUZUMAB_BRAND, days_before(100)),  # the brand in free text
        medication_statement(OFATUMUMAB_PEN, days_before(120), days_before(90), status="completed"),  # subcutaneous: any route
        medication_request(RITUXIMAB, days_before(60), status="completed"),  # ingredient only: route unknown, any route counts
        medication_statement(medication(text="ocrelizumab 300 MG in 10 ML Injection"), days_before(200), days_before(200), status="completed"),
    ],
)
def test_any_anti_cd20_by_any_route_counts(record: dict) -> None:
    assert entry("E3.1", record)["status"] == "met"


def test_a_baff_inhibitor_is_not_anti_cd20() -> None:
    assert entry("E3.1", infusion(BELIMUMAB, days_before(30)))["status"] == "not_met"


def test_an_infusion_after_d_is_ignored() -> None:
    assert entry("E3.1", infusion(RITUXIMAB, days_before(-5)))["status"] == "not_met"


# --- E3.2: cyclophosphamide or a systemic calcineurin inhibitor in [D − 2 months, D] -----------
# D − 2 months = 2026-09-25, inside the window.


def test_a_course_ending_2_months_before_d_is_met_and_clears_on_l_plus_2_months_plus_1_day() -> None:
    found = entry("E3.2", course(TACROLIMUS_CAPSULE, date(2025, 3, 1), date(2026, 9, 25)))
    assert found["status"] == "met"
    assert found["clears_on"] == "2026-11-26"


def test_a_course_ending_the_day_before_is_not_met_and_named() -> None:
    found = entry("E3.2", course(TACROLIMUS_CAPSULE, date(2025, 3, 1), date(2026, 9, 24)))
    assert found["status"] == "not_met"
    assert "last exposure ended 2026-09-24" in found["reason"]


def test_two_months_at_a_month_end_clears_by_the_definition() -> None:
    """D = 2026-04-29: D − 2 months is 29 February, clamped to 2026-02-28. L = 2026-02-28 is
    inside; the shortcut L + 2 months + 1 day (2026-04-29) is still inside too, so the first
    D' whose window misses L is 2026-05-01."""
    found = entry("E3.2", infusion(CYCLOPHOSPHAMIDE_INJECTION, date(2026, 2, 28)), as_of=date(2026, 4, 29))
    assert (found["status"], found["clears_on"]) == ("met", "2026-05-01")


@pytest.mark.parametrize(
    "record",
    [
        infusion(CYCLOPHOSPHAMIDE_INJECTION, days_before(20)),
        course(CYCLOPHOSPHAMIDE_TABLET, days_before(50), days_before(40)),
        medication_request(medication("3002", display="cyclophosphamide"), days_before(30), status="completed"),  # route unknown: any route counts
        medication_statement(CYCLOSPORINE_CAPSULE, days_before(300)),
        medication_statement(VOCLOSPORIN, days_before(90)),
        medication_statement(medication(text="Ciclosporin 100 mg oral capsule"), days_before(90)),  # the text's spelling
        medication_request(TACROLIMUS_INGREDIENT, days_before(10), dose=dosage(2, per_day=2, route=ORAL)),  # a route code decides
    ],
)
def test_cyclophosphamide_by_any_route_and_systemic_calcineurin_inhibitors_are_met(record: dict) -> None:
    assert entry("E3.2", record)["status"] == "met"


def test_an_ongoing_exposure_has_no_clearing_date() -> None:
    assert entry("E3.2", medication_statement(CYCLOSPORINE_CAPSULE, days_before(300)))["clears_on"] is None


@pytest.mark.parametrize("drug", [CYCLOSPORINE_EYE_DROPS, TACROLIMUS_OINTMENT])
def test_ophthalmic_cyclosporine_and_topical_tacrolimus_do_not_count(drug: dict) -> None:
    assert entry("E3.2", medication_statement(drug, days_before(200)))["status"] == "not_met"


def test_a_calcineurin_inhibitor_of_unknown_route_is_unknown() -> None:
    found = entry("E3.2", medication_statement(TACROLIMUS_INGREDIENT, days_before(200)))
    assert found["status"] == "unknown"
    assert "tacrolimus" in found["reason"] and "route" in found["reason"]


def test_a_met_record_decides_over_one_of_unknown_route() -> None:
    found = entry("E3.2", medication_statement(TACROLIMUS_INGREDIENT, days_before(200)), infusion(CYCLOPHOSPHAMIDE_INJECTION, days_before(3)))
    assert found["status"] == "met"


def test_washouts_that_block_alone_give_the_candidate_the_latest_clearing_date() -> None:
    """Rituximab on 2026-03-10 clears on 2026-12-10; tacrolimus to 2026-10-31 on 2027-01-01."""
    result = evaluation(*candidate(), course(TACROLIMUS_CAPSULE, date(2025, 3, 1), date(2026, 10, 31)), infusion(RITUXIMAB, date(2026, 3, 10)))
    blocking = {c["id"]: c["clears_on"] for c in result["criteria"] if c["kind"] == "exclusion" and c["status"] == "met"}
    assert blocking == {"E3.1": "2026-12-10", "E3.2": "2027-01-01"}
    assert result["decision"] == "ineligible"
    assert result["eligible_from"] == "2027-01-01"


# --- E6: intolerance or contraindication to study therapies (G14) ----------------------------


@pytest.mark.parametrize(
    "record",
    [
        allergy(medication("974779", display="obinutuzumab")),
        allergy(medication(text="Gazyva"), type="intolerance"),
        allergy(medication("200060", display="mycophenolate mofetil 500 MG Oral Tablet"), clinical_status=None),
        allergy(medication("7145", display="mycophenolic acid"), type=None),
        allergy(medication("8640", display="prednisone")),
        allergy(medication(text="Solu-Medrol"), type="intolerance"),
    ],
)
def test_a_documented_allergy_or_intolerance_to_a_study_therapy_is_met(record: dict) -> None:
    found = entry("E6", record)
    assert found["status"] == "met"
    assert found["clears_on"] is None


@pytest.mark.parametrize("drug", [medication("161", display="acetaminophen"), medication(text="Benadryl (diphenhydramine)")])
def test_an_allergy_to_a_premedication_is_unknown(drug: dict) -> None:
    found = entry("E6", allergy(drug))
    assert found["status"] == "unknown"
    assert "a premedication the sponsor may replace" in found["reason"]


@pytest.mark.parametrize(
    "record",
    [
        allergy(medication("8640", display="prednisone"), clinical_status="resolved"),
        allergy(medication("8640", display="prednisone"), clinical_status="inactive"),
        allergy(medication("974779", display="obinutuzumab"), verification="refuted"),
        allergy(medication("7980", display="penicillin G")),
    ],
)
def test_no_current_study_therapy_allergy_is_never_not_met_a_contraindication_is_judged(record: dict) -> None:
    found = entry("E6", record)
    assert found["status"] == "unknown"
    assert "contraindication" in found["reason"]


def test_with_no_allergy_at_all_e6_is_still_unknown() -> None:
    found = entry("E6")
    assert found["status"] == "unknown"
    assert found["manual"] is False
