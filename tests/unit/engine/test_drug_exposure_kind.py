"""`drug_exposure` with the portfolio rules: G1 windows (weeks, calendar months clamped to
the month's end, "less than N" (D − N, D], records after D ignored), G2 "ever", G3 route
restrictions (IV, parenteral, systemic; per group), G13 tiers and G17.

Each test writes the criterion as a trial file author would and loads it through the
real loader (tests/support/kind_trials.py).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fhir_builders import (
    AS_OF,
    days_before,
    dosage,
    medication,
    medication_administration,
    medication_request,
    medication_statement,
)
from yaml_probe import probe

from cds.trials.loader import TrialDefinitionError

IV = ("47625008", "Intravenous route")
IM = ("78421000", "Intramuscular route")
ORAL = ("26643006", "Oral route")
RITUXIMAB = medication("121191", display="rituximab")
# Synthea's SCD (terminology.md §9.3): an injectable form, no route code.
CYCLOPHOSPHAMIDE_INJECTION = medication("1734919", display="Cyclophosphamide 1000 MG Injection")
CYCLOPHOSPHAMIDE = medication("3002", display="cyclophosphamide")  # ingredient only: no form


def infusion(drug: dict, on: date | str, **kwargs) -> dict:
    """A completed infusion as a MedicationAdministration, shaped like the CPG CHF example
    'chf-scenario1-lasix-po' (effectiveDateTime, dosage.route, dosage.dose in mg)."""
    found = medication_administration(drug, on, dose_mg=1000, **kwargs)
    found["dosage"]["route"] = {"coding": [{"system": "http://snomed.info/sct", "code": IV[0], "display": IV[1]}]}
    return found


# --- G1 windows ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "status", "clears_on"),
    [
        (date(2026, 9, 29), "met", "2026-10-01"),
        (date(2026, 9, 30), "met", "2026-10-01"),  # D − 9 months = 2025-12-30: L = 2025-12-31 still inside
        (date(2026, 10, 1), "not_met", None),
    ],
)
def test_less_than_9_months_on_a_31st_clears_when_the_window_no_longer_holds_it(
    tmp_path: Path, as_of: date, status: str, clears_on: str | None
) -> None:
    """G1's own example: L = 2025-12-31, "less than 9 months": L + 9 months is 2026-09-30,
    whose window (2025-12-30, 2026-09-30] still holds L, so it clears on 2026-10-01."""
    trial = probe(tmp_path, "drug_exposure", "{groups: [anti_cd20], label: anti-CD20 therapy, within_months: 9, less_than: true}")
    entry = trial(infusion(RITUXIMAB, date(2025, 12, 31)), as_of=as_of)
    assert entry["status"] == status
    assert entry["clears_on"] == clears_on


@pytest.mark.parametrize(
    ("less_than", "on", "status", "clears_on"),
    [
        (True, date(2026, 2, 25), "not_met", None),  # exactly 9 months before D: outside (D − N, D]
        (True, date(2026, 2, 26), "met", "2026-11-26"),  # L + 9 months
        (False, date(2026, 2, 25), "met", "2026-11-26"),  # inclusive: L + 9 months + 1 day
        (False, date(2026, 2, 24), "not_met", None),
    ],
)
def test_the_day_exactly_n_months_before_d_is_outside_a_less_than_window_only(
    tmp_path: Path, less_than: bool, on: date, status: str, clears_on: str | None
) -> None:
    flag = "true" if less_than else "false"
    trial = probe(tmp_path, "drug_exposure", f"{{groups: [anti_cd20], label: anti-CD20 therapy, within_months: 9, less_than: {flag}}}")
    entry = trial(infusion(RITUXIMAB, on))
    assert (entry["status"], entry["clears_on"]) == (status, clears_on)


@pytest.mark.parametrize(("days", "status"), [(28, "met"), (29, "not_met")])
def test_weeks_are_seven_days(tmp_path: Path, days: int, status: str) -> None:
    trial = probe(tmp_path, "drug_exposure", "{groups: [anti_cd20], label: anti-CD20 therapy, within_weeks: 4}")
    entry = trial(infusion(RITUXIMAB, days_before(days)))
    assert entry["status"] == status
    if status == "met":
        assert entry["clears_on"] == days_before(days - 29).isoformat()  # L + 28 + 1


@pytest.mark.parametrize(("on", "status"), [(date(2026, 2, 28), "met"), (date(2026, 2, 27), "not_met")])
def test_one_month_before_the_31st_is_the_last_day_of_february(tmp_path: Path, on: date, status: str) -> None:
    trial = probe(tmp_path, "drug_exposure", "{groups: [anti_cd20], label: anti-CD20 therapy, within_months: 1}")
    assert trial(infusion(RITUXIMAB, on), as_of=date(2026, 3, 31))["status"] == status


def test_records_after_d_are_ignored(tmp_path: Path) -> None:
    trial = probe(tmp_path, "drug_exposure", "{groups: [anti_cd20], label: anti-CD20 therapy, within_months: 9, less_than: true}")
    assert trial(infusion(RITUXIMAB, days_before(-1)))["status"] == "not_met"
    ever = probe(tmp_path, "drug_exposure", "{groups: [b_cell], label: B-cell therapy}")
    assert ever(infusion(RITUXIMAB, days_before(-1)))["status"] == "not_met"


def test_an_ongoing_exposure_has_no_clearing_date(tmp_path: Path) -> None:
    trial = probe(tmp_path, "drug_exposure", "{groups: [anti_cd20], label: anti-CD20 therapy, within_months: 9, less_than: true}")
    entry = trial(medication_statement(medication("1876366", display="ocrelizumab"), days_before(400)))
    assert entry["status"] == "met"
    assert entry["clears_on"] is None


# --- G2 ever ------------------------------------------------------------------------------


def test_an_exposure_however_old_is_ever_and_never_clears(tmp_path: Path) -> None:
    trial = probe(tmp_path, "drug_exposure", "{groups: [b_cell], label: B-cell targeted therapy}")
    entry = trial(infusion(RITUXIMAB, "1998-04-02T10:00:00Z"))
    assert entry["status"] == "met"
    assert entry["clears_on"] is None
    assert "rituximab" in entry["reason"]


def test_an_undated_record_counts_as_ever(tmp_path: Path) -> None:
    """A MedicationStatement with no effective[x], as patient-reported lists send it."""
    trial = probe(tmp_path, "drug_exposure", "{groups: [b_cell], label: B-cell targeted therapy}")
    statement = medication_statement(RITUXIMAB, "2020-01-01", status="completed")
    del statement["effectivePeriod"]
    assert trial(statement)["status"] == "met"


def test_a_partial_date_that_may_be_after_d_is_unknown_for_ever(tmp_path: Path) -> None:
    trial = probe(tmp_path, "drug_exposure", "{groups: [b_cell], label: B-cell targeted therapy}")
    assert trial(medication_statement(RITUXIMAB, "2026-11", status="completed"))["status"] == "unknown"


# --- G3 route restrictions --------------------------------------------------------------------

IV_CYCLOPHOSPHAMIDE = "{groups: [cyclophosphamide], label: IV cyclophosphamide, route: iv, within_days: 180}"


def test_an_injectable_form_with_no_route_code_counts_as_iv(tmp_path: Path) -> None:
    """Synthea writes cyclophosphamide as SCD 1734919 'Cyclophosphamide 1000 MG Injection'."""
    trial = probe(tmp_path, "drug_exposure", IV_CYCLOPHOSPHAMIDE)
    entry = trial(medication_request(CYCLOPHOSPHAMIDE_INJECTION, days_before(100), status="completed"))
    assert entry["status"] == "met"
    assert entry["clears_on"] == days_before(100 - 181).isoformat()


@pytest.mark.parametrize(
    ("drug", "route"),
    [
        (CYCLOPHOSPHAMIDE_INJECTION, IM),  # a route code overrides the injectable form: IM is not IV
        (medication(text="cyclophosphamide 50 MG Oral Tablet"), None),
        (CYCLOPHOSPHAMIDE, ORAL),
    ],
)
def test_im_or_oral_cyclophosphamide_is_not_iv(tmp_path: Path, drug: dict, route: tuple[str, str] | None) -> None:
    trial = probe(tmp_path, "drug_exposure", IV_CYCLOPHOSPHAMIDE)
    order = medication_request(drug, days_before(30), status="completed", dose=dosage(100, route=route))
    assert trial(order)["status"] == "not_met"


def test_a_record_of_unknown_route_class_is_unknown_never_met(tmp_path: Path) -> None:
    trial = probe(tmp_path, "drug_exposure", IV_CYCLOPHOSPHAMIDE)
    entry = trial(medication_request(CYCLOPHOSPHAMIDE, days_before(30), status="completed"))
    assert entry["status"] == "unknown"
    assert "route class unknown" in entry["reason"]
    assert "confirm whether it was IV" in entry["reason"]


def test_another_record_that_is_iv_makes_it_met(tmp_path: Path) -> None:
    trial = probe(tmp_path, "drug_exposure", IV_CYCLOPHOSPHAMIDE)
    unknown = medication_request(CYCLOPHOSPHAMIDE, days_before(30), status="completed")
    iv = medication_request(CYCLOPHOSPHAMIDE, days_before(60), status="completed", dose=dosage(1000, route=IV))
    assert trial(unknown, iv)["status"] == "met"


def test_route_text_alone_decides_when_there_is_no_route_code(tmp_path: Path) -> None:
    """Epic-style dosageInstruction.route with only text ('IV')."""
    trial = probe(tmp_path, "drug_exposure", IV_CYCLOPHOSPHAMIDE)
    order = medication_request(CYCLOPHOSPHAMIDE, days_before(30), status="completed", dose=dosage(1000, route_text="IV"))
    assert trial(order)["status"] == "met"


ANTI_INFECTIVE_PARENTERAL = "{groups: [anti_infective], label: parenteral anti-infective, route: parenteral, within_days: 28}"


@pytest.mark.parametrize(
    ("drug", "route", "status"),
    [
        (medication("2193", display="ceftriaxone"), IV, "met"),
        (medication("2193", display="ceftriaxone"), IM, "met"),  # IM is other parenteral
        (medication("308182", display="Amoxicillin 250 MG Oral Capsule"), None, "not_met"),
        (medication(text="Clindamycin 300mg"), None, "unknown"),  # as Synthea's free text: no form
        (medication(text="piperacillin / tazobactam 4.5 G Injection"), None, "met"),
    ],
)
def test_parenteral_is_iv_or_other_parenteral(tmp_path: Path, drug: dict, route: tuple[str, str] | None, status: str) -> None:
    """Shaped like the FHIR R4 example medrx0319 (Zosyn, piperacillin/tazobactam, given IV)."""
    trial = probe(tmp_path, "drug_exposure", ANTI_INFECTIVE_PARENTERAL)
    order = medication_request(drug, days_before(10), status="completed", dose=dosage(1, "g", route=route))
    assert trial(order)["status"] == status


CALCINEURIN_OR_CYCLOPHOSPHAMIDE = (
    "{groups: [cyclophosphamide, calcineurin_inhibitor], label: cyclophosphamide or a calcineurin inhibitor,"
    " within_months: 2, group_routes: {calcineurin_inhibitor: systemic}}"
)


@pytest.mark.parametrize(
    ("drug", "status"),
    [
        (medication(text="cyclophosphamide 50 MG Oral Tablet"), "met"),  # any route
        (medication("1664463", display="24 HR tacrolimus 1 MG ER Oral Tablet [Envarsus]"), "met"),
        (medication("108515", display="1 ML tacrolimus 5 MG/ML Injection [Prograf]"), "met"),
        (medication(text="tacrolimus 0.1 % Topical Ointment"), "not_met"),
        (medication(text="cycloSPORINE 0.5 MG/ML Ophthalmic Emulsion"), "not_met"),
        (medication("42316", display="tacrolimus"), "unknown"),  # ingredient only: route unknown
        (medication(text="Lupkynis 7.9 MG Oral Capsule"), "met"),  # voclosporin by brand
    ],
)
def test_a_route_restriction_for_some_groups_only(tmp_path: Path, drug: dict, status: str) -> None:
    trial = probe(tmp_path, "drug_exposure", CALCINEURIN_OR_CYCLOPHOSPHAMIDE)
    assert trial(medication_request(drug, days_before(20), status="completed"))["status"] == status


# --- G13 tiers ----------------------------------------------------------------------------

TIERS = (
    "{groups: [b_cell, sle_investigated], unknown_groups: [other_biologic, jak_inhibitor],"
    " label: biologic therapy for SLE}"
)


def test_a_tier_c_agent_is_unknown_and_says_why(tmp_path: Path) -> None:
    trial = probe(tmp_path, "drug_exposure", TIERS)
    entry = trial(medication_request(medication("1357536", display="tofacitinib"), "2024-03-01", status="completed"))
    assert entry["status"] == "unknown"
    assert "tofacitinib" in entry["reason"]
    assert entry["reason"].endswith("confirm whether the sponsor counts it")


def test_a_named_agent_beside_a_tier_c_agent_is_met(tmp_path: Path) -> None:
    trial = probe(tmp_path, "drug_exposure", TIERS)
    tofacitinib = medication_request(medication("1357536", display="tofacitinib"), "2024-03-01", status="completed")
    assert trial(tofacitinib, infusion(RITUXIMAB, "2019-05-05T09:00:00Z"))["status"] == "met"


def test_a_tier_reason_of_the_trials_own_words(tmp_path: Path) -> None:
    trial = probe(
        tmp_path,
        "drug_exposure",
        "{groups: [b_cell], unknown_groups: [b_lineage_uncertain], label: B cell targeted therapy,"
        " unknown_reason: 'B-lineage-directed; confirm whether the sponsor counts it'}",
    )
    entry = trial(medication_statement(medication("1442981", display="ibrutinib"), "2023-01-10", "2023-06-01", status="completed"))
    assert entry["status"] == "unknown"
    assert "B-lineage-directed" in entry["reason"]


def test_no_agent_of_any_tier_is_not_met(tmp_path: Path) -> None:
    trial = probe(tmp_path, "drug_exposure", TIERS)
    assert trial(medication_request(medication("29046", display="lisinopril"), "2024-03-01"))["status"] == "not_met"


# --- "exposure includes D" and G17 --------------------------------------------------------

HCQ_AT_D = "{groups: [hcq], label: hydroxychloroquine, within_days: 0, when_no_records: unknown}"
HCQ = medication("979092", display="Hydroxychloroquine Sulfate 200 MG Oral Tablet")  # Synthea SCD


def test_an_exposure_that_includes_d_is_met(tmp_path: Path) -> None:
    trial = probe(tmp_path, "drug_exposure", HCQ_AT_D, criterion_kind="inclusion")
    entry = trial(medication_request(HCQ, days_before(200)))
    assert entry["status"] == "met"
    assert entry["reason"] == f"hydroxychloroquine on {AS_OF} (ongoing)"


def test_no_medication_records_at_all_is_unknown(tmp_path: Path) -> None:
    trial = probe(tmp_path, "drug_exposure", HCQ_AT_D, criterion_kind="inclusion")
    entry = trial()
    assert entry["status"] == "unknown"
    assert entry["reason"] == "no medication records at all"


def test_records_without_the_drug_at_d_are_not_met_naming_the_last_end(tmp_path: Path) -> None:
    trial = probe(tmp_path, "drug_exposure", HCQ_AT_D, criterion_kind="inclusion")
    stopped = medication_statement(HCQ, "2025-06-01", "2026-03-01", status="completed")
    entry = trial(stopped, medication_request(medication("29046", display="lisinopril"), days_before(10)))
    assert entry["status"] == "not_met"
    assert entry["reason"] == f"no record of hydroxychloroquine on {AS_OF} (last exposure ended 2026-03-01)"


# --- parameters checked when the file loads ----------------------------------------------------


@pytest.mark.parametrize(
    ("logic", "problem"),
    [
        ("{groups: [anti_cd20], label: x, route: intravenous}", "logic.drug_exposure.route: unknown route 'intravenous'"),
        ("{groups: [anti_cd20], label: x, group_routes: {calcineurins: systemic}}", "unknown drug group 'calcineurins'"),
        ("{groups: [anti_cd20], label: x, unknown_groups: [jak]}", "unknown drug group 'jak'"),
        ("{groups: [anti_cd20], label: x, less_than: true}", "less_than needs a window"),
        ("{groups: [anti_cd20], label: x, within_days: 28, within_months: 1}", "give at most one of"),
    ],
)
def test_bad_parameters_stop_the_load_naming_the_key(tmp_path: Path, logic: str, problem: str) -> None:
    with pytest.raises(TrialDefinitionError) as caught:
        probe(tmp_path, "drug_exposure", logic)
    assert "criterion C1" in str(caught.value)
    assert problem in str(caught.value)
