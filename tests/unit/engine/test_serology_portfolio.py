"""Portfolio G12 result polarity and serology history, the ANA titer rule, and the
hepatitis/HIV/hCG compositions the portfolio pages write with them.

Results are shaped like Synthea's HIV screen (valueCodeableConcept SNOMED CT
Positive/Negative), US reference-lab reports (interpretation DET/ND, "Reactive" text),
Mayo's ANA titer (valueRatio 1/n), and quantitative serum hCG in m[IU]/mL.
"""

from __future__ import annotations

import pytest
from fhir_builders import condition, days_before, observation
from kind_trials import KindProbe
from ehr_shapes import at, lab_value, titer_ratio, ucum

POSITIVE = ("snomed", "10828004", "Positive")
NEGATIVE = ("snomed", "260385009", "Negative")
DETECTED = ("snomed", "260373001", "Detected")
NOT_DETECTED = ("snomed", "260415000", "Not detected")


def serology(analytes: list[str], select: str, **extra) -> dict:
    return {"serology": {"analytes": analytes, "label": "/".join(analytes), "select": select, **extra}}


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"value_code": POSITIVE}, "met"),
        ({"value_code": DETECTED}, "met"),
        ({"value_code": NEGATIVE}, "not_met"),
        ({"value_code": NOT_DETECTED}, "not_met"),
        ({"value_string": "Detected", "interpretation": "DET"}, "met"),
        ({"value_string": "Not detected", "interpretation": "ND"}, "not_met"),
        ({"value_string": "Reactive"}, "met"),
        ({"value_string": "Non-reactive"}, "not_met"),
        ({"value_string": "Inconclusive"}, "unknown"),
        ({"value_code": POSITIVE, "interpretation": "NEG"}, "not_met"),  # an interpretation decides
    ],
)
def test_polarity_of_one_result(tmp_path, kwargs, status) -> None:
    probe = KindProbe(tmp_path, serology(["hbsag"], "most_recent"))
    assert probe(observation("5195-3", on=days_before(40), **kwargs))["status"] == status


def test_most_recent_skips_neutral_results_where_asked(tmp_path) -> None:
    older_positive = observation("5195-3", value_code=POSITIVE, on=days_before(300))
    newer_equivocal = observation("5195-3", value_string="Equivocal", on=days_before(10))
    assert KindProbe(tmp_path, serology(["hbsag"], "most_recent"))(older_positive, newer_equivocal)["status"] == "unknown"
    assert KindProbe(tmp_path, serology(["hbsag"], "most_recent", skip_neutral=True))(older_positive, newer_equivocal)["status"] == "met"
    newer_negative = observation("5195-3", value_code=NEGATIVE, on=days_before(5))
    skip = KindProbe(tmp_path, serology(["hbsag"], "most_recent", skip_neutral=True))
    assert skip(older_positive, newer_equivocal, newer_negative)["status"] == "not_met"
    assert skip(newer_equivocal)["status"] == "unknown"


def test_ever_is_met_by_any_positive_and_results_after_d_are_ignored(tmp_path) -> None:
    probe = KindProbe(tmp_path, serology(["hiv_test"], "any_ever"))
    synthea_negative = observation("7917-8", value_code=NEGATIVE, on=days_before(30))
    assert probe(observation("7917-8", value_code=POSITIVE, on="2009-02-01"), synthea_negative)["status"] == "met"
    assert probe(synthea_negative)["status"] == "not_met"
    assert probe(observation("7917-8", value_code=POSITIVE, on=days_before(-3)))["status"] == "unknown"  # after D


@pytest.mark.parametrize(
    ("value", "unit", "status"),
    [(4.9, "m[IU]/mL", "not_met"), (5, "m[IU]/mL", "unknown"), (24.9, "m[IU]/mL", "unknown"), (25, "m[IU]/mL", "met"), (25, "[IU]/L", "met"), (3, "[IU]/L", "not_met")],
)
def test_quantitative_hcg_without_interpretation(tmp_path, value, unit, status) -> None:
    cutoffs = {"unit": "m[IU]/mL", "negative_below": 5, "positive_from": 25}
    probe = KindProbe(tmp_path, serology(["hcg"], "any_within", within_days=30, quantitative=cutoffs))
    assert probe(observation("21198-7", value, unit, on=days_before(2)))["status"] == status


def test_hcg_cutoffs_are_a_part_parameter_not_a_global_rule(tmp_path) -> None:
    """Without the parameter a quantity decides only by its reference range (NCT05247203 E6's reading)."""
    probe = KindProbe(tmp_path, serology(["hcg"], "any_within", within_days=30))
    assert probe(observation("21198-7", 10, "m[IU]/mL", on=days_before(2), ref_high=5))["status"] == "met"


def test_a_negative_serum_hcg_dated_d_with_no_positive_in_30_days(tmp_path) -> None:
    """The shape of NCT03543839 I10: not pregnant, no positive hCG of any specimen in 30
    days, and a negative serum hCG dated D."""
    cutoffs = {"unit": "m[IU]/mL", "negative_below": 5, "positive_from": 25}
    logic = {
        "all": [
            {"not": {"condition": {"valuesets": ["pregnancy"], "label": "pregnancy", "status": "active", "stale_after_days": 294}}},
            {"not": serology(["hcg"], "any_within", within_days=30, quantitative=cutoffs)},
            serology(["hcg_serum"], "any_within", within_days=0, polarity="negative", quantitative=cutoffs),
        ]
    }
    probe = KindProbe(tmp_path, logic, kind="inclusion")
    serum_negative_today = observation("21198-7", 2, "m[IU]/mL", on=days_before(0))
    assert probe(serum_negative_today)["status"] == "met"
    assert probe(observation("2106-3", value_code=POSITIVE, on=days_before(12)), serum_negative_today)["status"] == "not_met"
    assert probe(observation("2106-3", value_code=NEGATIVE, on=days_before(3)))["status"] == "unknown"  # no serum test dated D
    assert probe(observation("21198-7", 2, "m[IU]/mL", on=days_before(1)))["status"] == "unknown"
    assert probe(condition("snomed", "77386006", onset=days_before(40)), serum_negative_today)["status"] == "not_met"


def test_no_result_may_be_an_answer_for_closed_world_history(tmp_path) -> None:
    probe = KindProbe(tmp_path, serology(["hiv_test"], "any_ever", no_result={"status": "not_met", "reason": "no HIV test on record"}))
    entry = probe()
    assert entry["status"] == "not_met" and entry["reason"] == "no HIV test on record"
    assert KindProbe(tmp_path, serology(["hiv_test"], "any_ever"))()["status"] == "unknown"


# --- the titer rule ---------------------------------------------------------------------

ANA_TITER_80 = {"titer": {"analytes": ["ana"], "label": "ANA titer", "at_least": 80}}


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ({"valueString": "1:80"}, "met"),
        ({"valueString": "1:40"}, "not_met"),
        (titer_ratio(160), "met"),
        (titer_ratio(40), "not_met"),
        (ucum(80, "{titer}"), "met"),
        ({"valueString": ">1:80"}, "met"),  # counts as ≥ 80
        ({"valueString": ">1:40"}, "unknown"),  # ≥ 40: cannot tell
        ({"valueString": "<1:80"}, "not_met"),  # below 80
        ({"valueString": "<1:160"}, "unknown"),
        ({"valueString": "Positive"}, "unknown"),  # positive without a titer
        ({"valueString": "Negative"}, "not_met"),
        ({"valueString": "Equivocal"}, "unknown"),
    ],
)
def test_ana_titer_of_at_least_1_80(tmp_path, value, status) -> None:
    probe = KindProbe(tmp_path, ANA_TITER_80, kind="inclusion")
    assert probe(lab_value("5048-4", value, effective=at("2025-03-03T10:00:00Z")))["status"] == status


def test_a_titer_decides_over_an_interpretation(tmp_path) -> None:
    """A lab that calls 1:40 "positive" does not meet ≥ 1:80."""
    probe = KindProbe(tmp_path, ANA_TITER_80, kind="inclusion")
    assert probe(lab_value("5048-4", {"valueString": "1:40"}, effective=at("2025-03-03"), interpretation="POS"))["status"] == "not_met"


def test_any_titer_of_any_date_meets_and_no_result_is_unknown(tmp_path) -> None:
    probe = KindProbe(tmp_path, ANA_TITER_80, kind="inclusion")
    old = lab_value("5048-4", {"valueString": "1:320"}, effective=at("2012-01-01"))
    new = lab_value("5048-4", {"valueString": "1:40"}, effective=at("2026-10-01"))
    assert probe(old, new)["status"] == "met"
    assert probe()["status"] == "unknown"


# --- anti-HBc: the total codes, or a more recent positive IgM ------------------------------

ANTI_HBC = serology(["anti_hbc_total", "anti_hbc_igm"], "most_recent", skip_neutral=True, positive_only_analytes=["anti_hbc_igm"])


@pytest.mark.parametrize(
    ("results", "status"),
    [
        ([("16933-4", POSITIVE, 100)], "met"),
        ([("16933-4", NEGATIVE, 100)], "not_met"),
        ([("16933-4", NEGATIVE, 100), ("31204-1", POSITIVE, 10)], "met"),  # a more recent positive IgM
        ([("31204-1", POSITIVE, 100), ("16933-4", NEGATIVE, 10)], "not_met"),  # an older positive IgM
        ([("31204-1", NEGATIVE, 10)], "unknown"),  # a negative IgM alone leaves the part unknown
        ([("16933-4", POSITIVE, 100), ("31204-1", NEGATIVE, 10)], "met"),
        ([], "unknown"),
    ],
)
def test_anti_hbc_part(tmp_path, results, status) -> None:
    resources = [observation(code, value_code=value, on=days_before(days)) for code, value, days in results]
    assert KindProbe(tmp_path, ANTI_HBC)(*resources)["status"] == status


# --- "historically positive" HBV and HCV (NCT00410384 E9's shape) ---------------------------------

HBV_EVER = {
    "any": [
        serology(["hbsag"], "any_ever"),
        serology(["hbv_dna"], "any_ever", quantity_means_detected=True, no_result={"status": "not_met", "reason": "no HBV DNA result"}),
        {"condition": {"valuesets": ["hbv_dx"], "label": "hepatitis B diagnosis", "status": "any"}},
        {"unknown_if": {"reason": "past or occult HBV: confirm whether the sponsor counts it", "part":
            serology(["anti_hbc"], "any_ever", no_result={"status": "not_met", "reason": "no anti-HBc result"})}},
    ]
}
HCV_EVER = {
    "any": [
        serology(["anti_hcv", "hcv_rna"], "any_ever", quantity_means_detected=["hcv_rna"]),
        {"condition": {"valuesets": ["hcv_dx"], "label": "hepatitis C diagnosis", "status": "any"}},
    ]
}


@pytest.mark.parametrize(
    ("resources", "status"),
    [
        ([observation("5195-3", value_code=POSITIVE, on="2015-01-01"), observation("5195-3", value_code=NEGATIVE, on=days_before(9))], "met"),
        ([observation("42595-9", 150, "[IU]/mL", on="2016-01-01"), observation("5195-3", value_code=NEGATIVE, on=days_before(9))], "met"),
        ([observation("42595-9", 20, "[IU]/mL", comparator="<", on="2016-01-01"), observation("5195-3", value_code=NEGATIVE, on=days_before(9))], "not_met"),
        ([observation("29610-3", value_code=DETECTED, on="2016-01-01")], "met"),
        ([observation("5195-3", value_code=NEGATIVE, on=days_before(9)), observation("16933-4", value_code=POSITIVE, on="2010-01-01")], "unknown"),
        ([observation("5195-3", value_code=NEGATIVE, on=days_before(9))], "not_met"),
        ([], "unknown"),  # no HBsAg result
        ([condition("icd10cm", "B18.1", clinical_status="resolved", onset="2001-01-01")], "met"),
    ],
)
def test_hbv_ever(tmp_path, resources, status) -> None:
    assert KindProbe(tmp_path, HBV_EVER)(*resources)["status"] == status


@pytest.mark.parametrize(
    ("resources", "status"),
    [
        ([observation("16128-1", value_code=NEGATIVE, on=days_before(9))], "not_met"),
        ([observation("11011-4", 20, "[IU]/mL", comparator="<", on=days_before(9))], "not_met"),  # results exist, all negative
        ([observation("11011-4", 5000, "[IU]/mL", on="2019-01-01"), observation("16128-1", value_code=NEGATIVE, on=days_before(9))], "met"),
        ([observation("16128-1", 11.2, "{s_co_ratio}", on=days_before(9))], "unknown"),  # an anti-HCV quantity is no viral load
        ([], "unknown"),
    ],
)
def test_hcv_ever(tmp_path, resources, status) -> None:
    assert KindProbe(tmp_path, HCV_EVER)(*resources)["status"] == status


HCG_CUTOFFS = {"unit": "m[IU]/mL", "negative_below": 5, "positive_from": 25}


def test_skip_neutral_in_a_window_treats_neutral_results_alone_as_no_result_naming_them(tmp_path) -> None:
    """"Any positive hCG in 30 days" over quantitative serum hCG (US Core lab shape) with
    G12's equivocal band: an equivocal result alone is as no result (here closed-world
    not_met), named in the reason; a positive one still decides; one that cannot be read
    is never left out."""
    part = serology(["hcg"], "any_within", within_days=30, quantitative=HCG_CUTOFFS, skip_neutral=True,
                    no_result={"status": "not_met", "reason": "no positive or negative hCG in 30 days"})
    probe = KindProbe(tmp_path, part)
    equivocal = lab_value("21198-7", ucum(12, "m[IU]/mL"), effective=at(f"{days_before(3)}T08:00:00Z"), id="hcg-12")
    entry = probe(equivocal)
    assert entry["status"] == "not_met"
    left_out = f"hcg neither positive nor negative, left out: 12 m[IU]/mL on {days_before(3)}"
    assert entry["reason"] == f"no positive or negative hCG in 30 days ({left_out})"
    assert [e["reference"] for e in entry["evidence"]] == ["Observation/hcg-12"]
    assert probe(equivocal, observation("2106-3", value_code=POSITIVE, on=days_before(20)))["status"] == "met"
    assert probe(equivocal, observation("21198-7", 2, "m[IU]/mL", on=days_before(20)))["status"] == "not_met"
    unreadable = lab_value("21198-7", {"valueQuantity": {"value": 40, "unit": "mIU/mL"}}, effective=at(f"{days_before(3)}T08:00:00Z"))
    assert probe(unreadable)["status"] == "unknown"
    without_skip = KindProbe(tmp_path, serology(["hcg"], "any_within", within_days=30, quantitative=HCG_CUTOFFS))
    assert without_skip(equivocal)["status"] == "unknown"


def test_skip_neutral_with_an_open_world_part_is_unknown_with_data(tmp_path) -> None:
    """With no `no_result`, neutral results alone leave the part unknown, but as data: a
    fallback does not pass over them."""
    logic = {"fallback": [
        serology(["anti_hcv"], "any_ever", skip_neutral=True),
        {"condition": {"valuesets": ["hcv_dx"], "label": "hepatitis C", "status": "any"}},
    ]}
    probe = KindProbe(tmp_path, logic)
    equivocal = observation("16128-1", value_string="Equivocal", on=days_before(100))
    entry = probe(equivocal, condition("icd10cm", "B18.2", onset="2020-01-01"))
    assert entry["status"] == "unknown"
    assert "left out" in entry["reason"]
    assert probe(condition("icd10cm", "B18.2", onset="2020-01-01"))["status"] == "met"
