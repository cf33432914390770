"""E1 (lab parts), E3.1-E3.5: recent labs against thresholds, per criteria-nct05247203.md.

Ground rules exercised: "recent" is the most recent final/amended/corrected result in
[D-90, D]; values are converted by UCUM unit before comparison (8.5 g/dL = 85 g/L,
µmol/L ÷ 88.42 for creatinine, 16.11 g/L per mmol/L of hemoglobin); a unit that cannot
be converted makes the input unknown; no result is unknown, never not_met.
"""

from __future__ import annotations

import pytest
from fhir_builders import condition, days_before, observation, patient
from trial_eval import criterion, evaluate, status_of

HEMOGLOBIN = "718-7"
HEMOGLOBIN_MOLAR = "59260-0"
WBC = "6690-2"
PLATELETS = "777-3"
CREATININE = "2160-0"
CREATININE_SYNTHEA = "38483-4"
CREATININE_MOLAR = "14682-9"
URINE_PROTEIN_24H = "2889-4"
ALT = "1742-6"
AST = "1920-8"
CLEARANCE = "2164-2"
EGFR = "33914-3"
WEIGHT = "29463-7"


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (84.9, "g/L", "met"),
        (85, "g/L", "not_met"),
        (8.5, "g/dL", "not_met"),
        (8.49, "g/dL", "met"),
        (5.2, "mmol/L", "met"),  # 83.8 g/L
        (5.3, "mmol/L", "not_met"),  # 85.4 g/L
    ],
)
def test_e3_4_hemoglobin_below_85_g_per_l_in_any_unit(value: float, unit: str, expected: str) -> None:
    code = HEMOGLOBIN_MOLAR if unit == "mmol/L" else HEMOGLOBIN
    assert status_of("E3.4", observation(code, value, unit, on=days_before(5))) == expected


def test_e3_4_reason_and_evidence_name_the_result() -> None:
    obs = observation(HEMOGLOBIN, 8.4, "g/dL", on=days_before(5), id="hb-low")
    entry = criterion(evaluate(obs), "E3.4")
    assert entry["status"] == "met"
    assert entry["clears_on"] is None  # a lab value has no time limit
    assert entry["evidence"] == [
        {"reference": "Observation/hb-low", "code": f"http://loinc.org|{HEMOGLOBIN}", "value": "8.4 g/dL",
         "date": days_before(5).isoformat()}
    ]
    assert "84" in entry["reason"] and "85" in entry["reason"]


@pytest.mark.parametrize(("age_days", "expected"), [(90, "met"), (91, "unknown"), (0, "met")])
def test_recent_window_includes_d_minus_90_and_excludes_d_minus_91(age_days: int, expected: str) -> None:
    assert status_of("E3.4", observation(HEMOGLOBIN, 70, "g/L", on=days_before(age_days))) == expected


def test_a_result_dated_after_d_is_not_recent() -> None:
    assert status_of("E3.4", observation(HEMOGLOBIN, 70, "g/L", on=days_before(-1))) == "unknown"


def test_the_most_recent_result_decides_not_the_worst() -> None:
    older_low = observation(HEMOGLOBIN, 70, "g/L", on=days_before(30))
    newer_normal = observation(HEMOGLOBIN, 120, "g/L", on=days_before(2))
    assert status_of("E3.4", older_low, newer_normal) == "not_met"
    assert status_of("E3.4", observation(HEMOGLOBIN, 120, "g/L", on=days_before(30)),
                     observation(HEMOGLOBIN, 70, "g/L", on=days_before(2))) == "met"


def test_timestamp_counts_on_the_calendar_date_written_in_it() -> None:
    """`2026-08-27T23:30:00-10:00` is 27 August (D-90), whatever its UTC instant."""
    obs = observation(HEMOGLOBIN, 70, "g/L", on=f"{days_before(90).isoformat()}T23:30:00-10:00")
    assert status_of("E3.4", obs) == "met"


@pytest.mark.parametrize("obs_status", ["preliminary", "registered", "entered-in-error", "cancelled"])
def test_results_that_are_not_final_do_not_count(obs_status: str) -> None:
    assert status_of("E3.4", observation(HEMOGLOBIN, 70, "g/L", on=days_before(3), status=obs_status)) == "unknown"


@pytest.mark.parametrize("obs_status", ["final", "amended", "corrected"])
def test_final_amended_and_corrected_results_count(obs_status: str) -> None:
    assert status_of("E3.4", observation(HEMOGLOBIN, 70, "g/L", on=days_before(3), status=obs_status)) == "met"


def test_no_lab_result_is_unknown_never_not_met() -> None:
    result = evaluate()
    for cid in ("E3.1", "E3.2", "E3.3", "E3.4", "E3.5"):
        assert criterion(result, cid)["status"] == "unknown", cid
    assert "no hemoglobin" in criterion(result, "E3.4")["reason"].lower()


def test_unit_that_cannot_be_converted_is_unknown_with_the_reason() -> None:
    entry = criterion(evaluate(observation(HEMOGLOBIN, 8, "mg/furlong", on=days_before(3))), "E3.4")
    assert entry["status"] == "unknown"
    assert "mg/furlong" in entry["reason"]
    assert entry["evidence"]  # the unreadable result is shown


def test_unconvertible_unit_leaves_other_criteria_alone() -> None:
    result = evaluate(observation(HEMOGLOBIN, 8, "mg/furlong", on=days_before(3)),
                      observation(PLATELETS, 30, "10*9/L", on=days_before(3)))
    assert criterion(result, "E3.4")["status"] == "unknown"
    assert criterion(result, "E3.5")["status"] == "met"


def test_hemoglobin_of_another_kind_of_quantity_is_unknown() -> None:
    """A count unit on a mass analyte is not convertible: unknown, not a guess."""
    assert status_of("E3.4", observation(HEMOGLOBIN, 80, "10*9/L", on=days_before(3))) == "unknown"


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (2.4, "10*3/uL", "met"),
        (2.5, "10*3/uL", "not_met"),
        (2.49, "10*9/L", "met"),
        (2.5, "10*9/L", "not_met"),
        (2400, "/uL", "met"),
        (2500, "/uL", "not_met"),
    ],
)
def test_e3_3_wbc_below_2_5_x10e9_per_l(value: float, unit: str, expected: str) -> None:
    assert status_of("E3.3", observation(WBC, value, unit, on=days_before(10))) == expected


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [(49, "10*3/uL", "met"), (50, "10*3/uL", "not_met"), (49.9, "10*9/L", "met"),
     (49000, "/uL", "met"), (50000, "/uL", "not_met")],
)
def test_e3_5_platelets_below_50_x10e9_per_l(value: float, unit: str, expected: str) -> None:
    assert status_of("E3.5", observation(PLATELETS, value, unit, on=days_before(10))) == expected


@pytest.mark.parametrize(("unit", "expected"), [("10*3/uL", "met"), ("10^3/uL", "met"), ("10*3/ul", "met"), ("K/uL", "unknown")])
def test_e3_5_platelets_with_the_unit_only_as_text(unit: str, expected: str) -> None:
    """Some EHRs send `unit` text without a UCUM code. Revision of 2026-12: it is read only
    when it is valid case-sensitive UCUM; "K/uL" is not a count in UCUM (K is kelvin)."""
    entry = criterion(evaluate(observation(PLATELETS, 45, unit, ucum=False, on=days_before(10))), "E3.5")
    assert entry["status"] == expected
    if expected == "unknown":
        assert "K/uL" in entry["reason"]


# E1 lab parts. With no other data the other parts of E1 are not_met (closed-world),
# so E1's status is the lab part's.


@pytest.mark.parametrize(
    ("code", "value", "unit", "expected"),
    [
        (CREATININE, 2.5, "mg/dL", "unknown"),
        (CREATININE, 2.51, "mg/dL", "met"),
        (CREATININE_MOLAR, 221, "umol/L", "unknown"),
        (CREATININE_MOLAR, 222, "umol/L", "met"),
        (CREATININE_SYNTHEA, 3.1, "mg/dL", "met"),
        (CREATININE, 1.0, "mg/dL", "unknown"),
    ],
)
def test_e1_serum_creatinine_above_2_5_mg_per_dl(code: str, value: float, unit: str, expected: str) -> None:
    """A creatinine that is not high leaves E1 unknown: the 24-h urine protein is missing."""
    entry = criterion(evaluate(observation(code, value, unit, on=days_before(7))), "E1")
    assert entry["status"] == expected
    if expected == "unknown":
        assert "24-h urine protein" in entry["reason"]


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [(6, "g/(24.h)", "not_met"), (6.1, "g/(24.h)", "met"), (6000, "mg/(24.h)", "not_met"),
     (6001, "mg/(24.h)", "met")],
)
def test_e1_proteinuria_above_6_g_per_24h(value: float, unit: str, expected: str) -> None:
    normal_creatinine = observation(CREATININE, 0.9, "mg/dL", on=days_before(7))
    proteinuria = observation(URINE_PROTEIN_24H, value, unit, on=days_before(7))
    assert status_of("E1", normal_creatinine, proteinuria) == expected


def test_e1_is_not_met_only_when_both_labs_are_normal() -> None:
    assert status_of("E1", observation(CREATININE, 0.9, "mg/dL", on=days_before(7))) == "unknown"
    assert status_of("E1", observation(URINE_PROTEIN_24H, 0.2, "g/(24.h)", on=days_before(7))) == "unknown"


def test_e1_censored_creatinine_above_the_threshold_is_met() -> None:
    """">3.0 mg/dL" is above 2.5 whatever the true value."""
    obs = observation(CREATININE, 3.0, "mg/dL", comparator=">", on=days_before(7))
    assert status_of("E1", obs) == "met"


# E3.1: ALT or AST >= 2 x ULN


@pytest.mark.parametrize(
    ("alt", "ref_high", "expected"),
    [(80, 40, "met"), (79.9, 40, "not_met"), (70, 35, "met"), (69.9, 35, "not_met")],
)
def test_e3_1_exactly_twice_the_uln_from_the_reference_range_is_met(alt: float, ref_high: float, expected: str) -> None:
    normal_ast = observation(AST, 20, "U/L", ref_high=40, on=days_before(4))
    assert status_of("E3.1", observation(ALT, alt, "U/L", ref_high=ref_high, on=days_before(4)), normal_ast) == expected


@pytest.mark.parametrize(("ast", "expected"), [(80, "met"), (79, "not_met")])
def test_e3_1_default_uln_applies_without_a_reference_range(ast: float, expected: str) -> None:
    """Synthea sends no referenceRange; the trial file's default ULN (40 U/L) applies."""
    entry = criterion(evaluate(observation(ALT, 20, "U/L", on=days_before(4)),
                               observation(AST, ast, "U/L", on=days_before(4))), "E3.1")
    assert entry["status"] == expected
    assert "default ULN" in entry["reason"]


@pytest.mark.parametrize("unit", ["U/L", "[IU]/L", "[iU]/L"])
def test_e3_1_enzyme_units_are_equal(unit: str) -> None:
    alt = observation(ALT, 100, unit, ref_high=40, ref_unit=unit, on=days_before(4))
    assert status_of("E3.1", alt, observation(AST, 20, unit, on=days_before(4))) == "met"


def test_e3_1_one_enzyme_high_is_enough_but_one_normal_is_not() -> None:
    high_alt = observation(ALT, 100, "U/L", ref_high=40, on=days_before(4))
    normal_alt = observation(ALT, 20, "U/L", ref_high=40, on=days_before(4))
    assert status_of("E3.1", high_alt) == "met"
    assert status_of("E3.1", normal_alt) == "unknown"  # AST missing


def test_e3_1_unconvertible_unit_is_unknown() -> None:
    alt = observation(ALT, 100, "mg/dL", on=days_before(4))
    ast = observation(AST, 20, "U/L", on=days_before(4))
    entry = criterion(evaluate(alt, ast), "E3.1")
    assert entry["status"] == "unknown"
    assert "mg/dL" in entry["reason"]


# E3.2: creatinine clearance < 30 mL/min


@pytest.mark.parametrize(("value", "expected"), [(29.9, "met"), (30, "not_met")])
def test_e3_2_measured_clearance(value: float, expected: str) -> None:
    entry = criterion(evaluate(observation(CLEARANCE, value, "mL/min", on=days_before(20))), "E3.2")
    assert entry["status"] == expected
    assert "estimated" not in entry["reason"]


def test_e3_2_measured_clearance_is_preferred_to_the_estimate() -> None:
    """Creatinine 4 mg/dL would estimate ~16 mL/min; the measured 45 mL/min decides."""
    resources = [
        patient(birth_date="1966-01-10", gender="female"),
        observation(CLEARANCE, 45, "mL/min", on=days_before(20)),
        observation(CREATININE, 4.0, "mg/dL", on=days_before(5)),
        observation(WEIGHT, 60, "kg", category="vital-signs", on=days_before(5)),
    ]
    assert status_of("E3.2", *resources) == "not_met"


@pytest.mark.parametrize(
    ("gender", "birth", "kg", "creatinine", "expected"),
    [
        # (140-60) x 50 / (72 x 2.0) x 0.85 = 23.6 mL/min
        ("female", "1966-01-10", 50, 2.0, "met"),
        # (140-30) x 70 / (72 x 1.0) = 106.9 mL/min
        ("male", "1996-01-10", 70, 1.0, "not_met"),
        # male 60 y, 50 kg, 2.0 mg/dL: 27.8 (met); female 23.6 (met): both agree
        ("unknown", "1966-01-10", 50, 2.0, "met"),
    ],
)
def test_e3_2_cockcroft_gault_estimate_is_marked_estimated(
    gender: str, birth: str, kg: float, creatinine: float, expected: str
) -> None:
    resources = [
        patient(birth_date=birth, gender=gender),
        observation(CREATININE, creatinine, "mg/dL", on=days_before(5)),
        observation(WEIGHT, kg, "kg", category="vital-signs", on=days_before(100)),
    ]
    entry = criterion(evaluate(*resources), "E3.2")
    assert entry["status"] == expected
    assert "estimated" in entry["reason"].lower()


def test_e3_2_cockcroft_gault_reads_creatinine_in_umol_per_l_and_weight_in_pounds() -> None:
    # 176.84 umol/L = 2.0 mg/dL; 110.23 lb = 50 kg; female 60 y -> 23.6 mL/min
    resources = [
        patient(birth_date="1966-01-10", gender="female"),
        observation(CREATININE_MOLAR, 176.84, "umol/L", on=days_before(5)),
        observation(WEIGHT, 110.23, "[lb_av]", category="vital-signs", on=days_before(5)),
    ]
    assert status_of("E3.2", *resources) == "met"


def test_e3_2_egfr_is_not_clearance() -> None:
    egfr = observation(EGFR, 12, "mL/min/{1.73_m2}", on=days_before(5))
    entry = criterion(evaluate(egfr), "E3.2")
    assert entry["status"] == "unknown"
    assert all(EGFR not in e["code"] for e in entry["evidence"])


@pytest.mark.parametrize("missing", ["weight", "creatinine", "birthDate"])
def test_e3_2_estimate_with_a_missing_input_is_unknown(missing: str) -> None:
    resources = [patient(birth_date=None if missing == "birthDate" else "1966-01-10", gender="female")]
    if missing != "creatinine":
        resources.append(observation(CREATININE, 2.0, "mg/dL", on=days_before(5)))
    if missing != "weight":
        resources.append(observation(WEIGHT, 50, "kg", category="vital-signs", on=days_before(5)))
    assert status_of("E3.2", *resources) == "unknown"


def test_e3_2_weight_older_than_365_days_is_not_used() -> None:
    resources = [
        patient(birth_date="1966-01-10", gender="female"),
        observation(CREATININE, 2.0, "mg/dL", on=days_before(5)),
        observation(WEIGHT, 50, "kg", category="vital-signs", on=days_before(366)),
    ]
    assert status_of("E3.2", *resources) == "unknown"
    resources[-1] = observation(WEIGHT, 50, "kg", category="vital-signs", on=days_before(365))
    assert status_of("E3.2", *resources) == "met"


def test_lupus_nephritis_does_not_stand_in_for_missing_labs() -> None:
    """Active lupus nephritis needs the manual "requiring prohibited medications" part:
    E1 stays unknown (never met, never not_met) without labs."""
    entry = criterion(evaluate(condition("snomed", "68815009", onset="2024-02-01")), "E1")
    assert entry["status"] == "unknown"


def test_e3_4_hemoglobin_in_mmol_per_l_under_the_mass_code() -> None:
    """Labs send mmol/L under 718-7 too; the unit, not the code, decides the conversion."""
    assert status_of("E3.4", observation(HEMOGLOBIN, 5.2, "mmol/L", on=days_before(3))) == "met"


def test_e3_1_reference_range_in_another_unit_is_converted() -> None:
    """ULN 0.6 µkat/L = 36 U/L: 80 U/L is 2.2×ULN; ULN 0.67 µkat/L = 40.2 U/L: 1.99×ULN."""
    assert status_of("E3.1", observation(ALT, 80, "U/L", ref_high=0.6, ref_unit="ukat/L", on=days_before(3))) == "met"
    below = observation(ALT, 80, "U/L", ref_high=0.67, ref_unit="ukat/L", on=days_before(3))
    assert status_of("E3.1", below, observation(AST, 20, "U/L", on=days_before(3))) == "not_met"


def test_e3_2_measured_clearance_older_than_90_days_gives_way_to_the_estimate() -> None:
    resources = [
        patient(birth_date="1966-01-10", gender="female"),
        observation(CLEARANCE, 90, "mL/min", on=days_before(91)),
        observation(CREATININE, 2.0, "mg/dL", on=days_before(5)),
        observation(WEIGHT, 50, "kg", category="vital-signs", on=days_before(5)),
    ]
    entry = criterion(evaluate(*resources), "E3.2")
    assert entry["status"] == "met"
    assert "estimated" in entry["reason"].lower()
