"""Ground rules, "Lab results" and "Positivity words" (revision of 2026-12).

- The date of a result is effectiveDateTime, else effectivePeriod.start, else
  effectiveInstant; `issued` is never used.
- Only final, amended and corrected count.
- A `component` coded for an analyte is a result of it, dated and statused by its Observation.
- A valueQuantity with no `code` is read by its `unit` only when that is valid
  case-sensitive UCUM (`mg/dL`, `mg/dl`; not `gm/dL`, `MG/DL`); else it is unreadable.
- A valueString of a number with a comparator is a censored value; other text is read
  only for positivity.
- An Observation with a dataAbsentReason and no value is no result.
- "reactive", "repeatedly reactive" are positive; "non-reactive", "nonreactive" negative.

D is 2026-11-25. Shapes follow Oracle Health (Cerner) R4 lab Observations (a code set
72 coding before LOINC, `issued` beside effective[x]) and Epic's (valueString for
non-numeric results).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ehr_shapes import CERNER_CODESET_72, component, lab, quantity
from fhir_builders import days_before, observation
from trial_eval import criterion, evaluate, status_of

from cds.trials.loader import TRIALS_DIR, load_trial

HEMOGLOBIN = "718-7"
CREATININE = "2160-0"
URINE_PROTEIN_24H = "2889-4"
CLEARANCE = "2164-2"
HBSAG = "5195-3"
ANTI_HCV = "16128-1"
ANTI_HBC = "16933-4"
HBV_DNA = "29615-2"
NEGATIVE = ("snomed", "260385009", "Negative")
POSITIVE = ("snomed", "10828004", "Positive")
DATA_ABSENT = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "error", "display": "Error"}],
               "text": "Specimen hemolyzed"}


def _on(days: int) -> dict[str, str]:
    return {"effectiveDateTime": f"{days_before(days).isoformat()}T07:45:00-06:00"}


def _low_hb(**kwargs: object) -> dict:
    return lab(HEMOGLOBIN, value=quantity(7.0, "g/dL", "g/dL"), **kwargs)  # type: ignore[arg-type]


# Dates


@pytest.mark.parametrize(
    "effective",
    [
        {"effectivePeriod": {"start": f"{days_before(3).isoformat()}T08:00:00Z", "end": f"{days_before(2).isoformat()}T08:00:00Z"}},
        {"effectiveInstant": f"{days_before(3).isoformat()}T08:00:00.000Z"},
        {"effectiveDateTime": days_before(3).isoformat()},
    ],
    ids=["effectivePeriod.start", "effectiveInstant", "effectiveDateTime"],
)
def test_result_dates_in_every_effective_form(effective: dict) -> None:
    assert status_of("E3.4", _low_hb(effective=effective)) == "met"


def test_effective_period_start_not_its_end_dates_the_result() -> None:
    """A 24-h collection that started on D-91 and ended on D-90 is dated D-91: not recent."""
    period = {"effectivePeriod": {"start": days_before(91).isoformat(), "end": days_before(90).isoformat()}}
    assert status_of("E3.4", _low_hb(effective=period)) == "unknown"


def test_issued_never_dates_a_result() -> None:
    """A result released 3 days ago but with no effective[x] has no date: not recent."""
    undated = _low_hb(effective={}, issued=f"{days_before(3).isoformat()}T16:00:00Z")
    entry = criterion(evaluate(undated), "E3.4")
    assert entry["status"] == "unknown"
    old = _low_hb(effective=_on(200), issued=f"{days_before(3).isoformat()}T16:00:00Z")
    assert status_of("E3.4", old) == "unknown"  # drawn 200 days ago, released recently


def test_an_undated_result_may_be_the_most_recent() -> None:
    """A dated normal result and an undated low one: either could be the latest."""
    normal = observation(HEMOGLOBIN, 130, "g/L", on=days_before(5))
    undated = _low_hb(effective={})
    assert status_of("E3.4", normal, undated) == "unknown"
    undated_normal = lab(HEMOGLOBIN, effective={}, value=quantity(131, "g/L", "g/L"))
    assert status_of("E3.4", normal, undated_normal) == "not_met"  # they agree


# Statuses


@pytest.mark.parametrize(("status", "expected"), [
    ("final", "met"), ("amended", "met"), ("corrected", "met"),
    ("preliminary", "not_met"), ("registered", "not_met"), ("cancelled", "not_met"), ("entered-in-error", "not_met"),
])
def test_only_final_amended_corrected_results_count(status: str, expected: str) -> None:
    """A newer low hemoglobin of each status beside an older final normal one."""
    older_normal = observation(HEMOGLOBIN, 130, "g/L", on=days_before(20))
    newer_low = _low_hb(effective=_on(2), status=status)
    assert status_of("E3.4", older_normal, newer_low) == expected


# Components


def _panel(*parts: dict, status: str = "final", days: int = 4) -> dict:
    """A 24-hour urine panel as Oracle Health sends it: the panel coded only by its code
    set 72 orderable, each analyte a LOINC-coded component."""
    panel = lab("2889-4", effective=_on(days), components=list(parts), status=status, id=None)
    panel["code"] = {"coding": [{"system": CERNER_CODESET_72, "code": "3049381", "display": "Urine 24h panel"}], "text": "Urine 24h panel"}
    return panel


@pytest.mark.parametrize(("grams", "expected"), [(7.2, "met"), (0.2, "not_met")])
def test_a_component_is_a_result_of_its_analyte(grams: float, expected: str) -> None:
    normal_creatinine = observation(CREATININE, 0.9, "mg/dL", on=days_before(4))
    panel = _panel(component(URINE_PROTEIN_24H, quantity(grams, "g/(24.h)", "g/(24.h)")),
                   component("2162-6", quantity(1.1, "g/(24.h)", "g/(24.h)")))
    entry = criterion(evaluate(normal_creatinine, panel), "E1")
    assert entry["status"] == expected


def test_a_component_is_dated_and_statused_by_its_observation() -> None:
    normal_creatinine = observation(CREATININE, 0.9, "mg/dL", on=days_before(4))
    proteinuria = component(URINE_PROTEIN_24H, quantity(7.2, "g/(24.h)", "g/(24.h)"))
    assert status_of("E1", normal_creatinine, _panel(proteinuria, status="preliminary")) == "unknown"
    assert status_of("E1", normal_creatinine, _panel(proteinuria, days=120)) == "unknown"


def test_a_measured_clearance_component_decides_e3_2() -> None:
    panel = _panel(component(CLEARANCE, quantity(22, "mL/min", "mL/min")))
    entry = criterion(evaluate(panel), "E3.2")
    assert entry["status"] == "met"
    assert "estimated" not in entry["reason"]


# Units sent without a UCUM code


@pytest.mark.parametrize(("unit", "expected"), [
    ("mg/dL", "met"), ("mg/dl", "met"),  # valid case-sensitive UCUM
    ("MG/DL", "unknown"), ("gm/dL", "unknown"), ("mg per dL", "unknown"),  # not UCUM
])
def test_unit_without_code_is_read_only_when_valid_ucum(unit: str, expected: str) -> None:
    creatinine = lab(CREATININE, effective=_on(3), value=quantity(3.1, unit))
    entry = criterion(evaluate(creatinine), "E1")
    assert entry["status"] == expected
    if expected == "unknown":
        assert unit in entry["reason"] and "UCUM" in entry["reason"]


@pytest.mark.parametrize(("unit", "expected"), [("g/dL", "met"), ("g/dl", "met"), ("gm/dL", "unknown"), ("G/DL", "unknown")])
def test_hemoglobin_unit_without_code(unit: str, expected: str) -> None:
    hb = lab(HEMOGLOBIN, effective=_on(3), value=quantity(7.0, unit))
    assert status_of("E3.4", hb) == expected


def test_an_unreadable_unit_is_not_replaced_by_an_older_result() -> None:
    """The newest hemoglobin is unreadable: unknown, not decided by the older normal one."""
    older_normal = observation(HEMOGLOBIN, 130, "g/L", on=days_before(20))
    newest = lab(HEMOGLOBIN, effective=_on(2), value=quantity(7.0, "gm/dL"))
    assert status_of("E3.4", older_normal, newest) == "unknown"


@pytest.mark.parametrize("code", ["mg/dL", "mg/dl"])
def test_a_coded_ucum_unit_still_converts(code: str) -> None:
    """US Core lab example shape: unit text and UCUM code; µmol/L coded as umol/L."""
    assert status_of("E1", lab(CREATININE, effective=_on(3), value=quantity(3.1, "mg/dL", code))) == "met"
    molar = lab("14682-9", effective=_on(3), value=quantity(222, "µmol/L", "umol/L"))
    assert status_of("E1", molar) == "met"


# Censored valueString (Epic sends non-numeric results as valueString)


@pytest.mark.parametrize(("text", "expected"), [("<0.5 mg/dL", "unknown"), (">3.0 mg/dL", "met"), (">=2.6 mg/dl", "met"),
                                                 ("<5 mg/dL", "unknown"), ("<0.5", "unknown")])
def test_e1_censored_creatinine_value_string(text: str, expected: str) -> None:
    """E1's creatinine part: "<0.5 mg/dL" is below 2.5 (not met; E1 stays unknown for the
    missing urine protein), ">3.0" above it (met), "<5" cannot decide, and "<0.5"
    without a unit cannot be compared with mg/dL."""
    creatinine = lab(CREATININE, effective=_on(3), value={"valueString": text})
    entry = criterion(evaluate(creatinine), "E1")
    assert entry["status"] == expected
    if text == "<0.5 mg/dL":
        assert "serum creatinine" not in entry["reason"]  # decided, only the urine protein is missing


def test_e1_censored_creatinine_below_the_threshold_with_normal_proteinuria_is_not_met() -> None:
    creatinine = lab(CREATININE, effective=_on(3), value={"valueString": "<0.5 mg/dL"})
    protein = observation(URINE_PROTEIN_24H, 0.2, "g/(24.h)", on=days_before(3))
    assert status_of("E1", creatinine, protein) == "not_met"


@pytest.fixture(scope="module")
def trial_with_local_sledai(tmp_path_factory: pytest.TempPathFactory):
    """The bundled trial file with a site's local SELENA-SLEDAI code, as its comment says."""
    text = (TRIALS_DIR / "nct05247203.yaml").read_text(encoding="utf-8")
    local = 'selena_sledai: [{system: "https://ehr.example.org/fhir/CodeSystem/scores", code: "SLEDAI"}]'
    path: Path = tmp_path_factory.mktemp("trials") / "nct05247203.yaml"
    path.write_text(text.replace("selena_sledai: []", local), encoding="utf-8")
    return load_trial(path)


@pytest.mark.parametrize(("text", "expected"), [(">=8", "met"), (">10", "met"), ("<8", "not_met"), ("<4", "not_met"),
                                                 ("<10", "unknown"), (">6", "unknown"), ("8-10", "unknown")])
def test_i4_censored_score_on_both_sides_of_the_threshold(trial_with_local_sledai, text: str, expected: str) -> None:
    """A unitless score sent as valueString: "<10" cannot say whether it is 8 or more;
    text that is not a number with a comparator is no value."""
    score = lab("SLEDAI", effective=_on(5), value={"valueString": text}, local_first=False)
    score["code"] = {"coding": [{"system": "https://ehr.example.org/fhir/CodeSystem/scores", "code": "SLEDAI"}]}
    assert criterion(evaluate(score, trial=trial_with_local_sledai), "I4")["status"] == expected


def _hbv_workup(hbv_dna: dict) -> list[dict]:
    """HBsAg and anti-HCV negative, anti-HBc positive: E4 turns on the HBV DNA result."""
    return [
        observation(HBSAG, value_code=NEGATIVE, on=days_before(10)),
        observation(ANTI_HCV, value_code=NEGATIVE, on=days_before(10)),
        observation(ANTI_HBC, value_code=POSITIVE, on=days_before(10)),
        lab(HBV_DNA, effective=_on(9), value=hbv_dna),
    ]


@pytest.mark.parametrize(("text", "expected"), [("<20", "not_met"), ("<10 [IU]/mL", "not_met"), (">170000000", "met"),
                                                 ("Not detected", "not_met"), ("Detected", "met"), ("see comment", "unknown")])
def test_e4_hbv_dna_censored_value_string_on_both_sides(text: str, expected: str) -> None:
    assert status_of("E4", *_hbv_workup({"valueString": text})) == expected


# dataAbsentReason


def test_a_data_absent_result_is_no_result() -> None:
    """Cerner sends a cancelled-for-hemolysis test as a final Observation with a
    dataAbsentReason: it neither decides nor hides the older readable result."""
    older_low = observation(HEMOGLOBIN, 70, "g/L", on=days_before(20))
    absent = lab(HEMOGLOBIN, effective=_on(2), value={"dataAbsentReason": DATA_ABSENT})
    assert status_of("E3.4", older_low, absent) == "met"
    entry = criterion(evaluate(absent), "E3.4")
    assert entry["status"] == "unknown"
    assert entry["evidence"] == []


def test_a_data_absent_serology_does_not_shadow_the_most_recent_readable_one() -> None:
    resources = [
        observation(HBSAG, value_code=NEGATIVE, on=days_before(30)),
        lab(HBSAG, effective=_on(2), value={"dataAbsentReason": DATA_ABSENT}),
        observation(ANTI_HCV, value_code=NEGATIVE, on=days_before(30)),
        observation(ANTI_HBC, value_code=NEGATIVE, on=days_before(30)),
    ]
    assert status_of("E4", *resources) == "not_met"


# Positivity words


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Reactive", "met"), ("REPEATEDLY REACTIVE", "met"), ("Non-Reactive", "not_met"), ("NONREACTIVE", "not_met"),
     ("nonreactive", "not_met"), ("Non reactive", "not_met")],
)
def test_reactive_words_on_hepatitis_reports(text: str, expected: str) -> None:
    """US hepatitis reports: anti-HCV "Repeatedly reactive", HBsAg "Non-Reactive"."""
    resources = [
        lab(ANTI_HCV, effective=_on(10), value={"valueString": text}),
        observation(HBSAG, value_code=NEGATIVE, on=days_before(10)),
        observation(ANTI_HBC, value_code=NEGATIVE, on=days_before(10)),
    ]
    assert status_of("E4", *resources) == expected


def test_reactive_in_a_coded_value_text() -> None:
    """A valueCodeableConcept with only text, as Oracle Health sends uncoded results."""
    hbsag = lab(HBSAG, effective=_on(10), value={"valueCodeableConcept": {"text": "Reactive"}})
    assert status_of("E4", hbsag) == "met"


def test_a_local_interpretation_coding_beside_the_hl7_one_changes_nothing() -> None:
    """Epic sends the HL7 interpretation with a local flag beside it; a local "N" must not
    turn a positive ANA into "equivocal"."""
    ana = lab("8061-4", effective=_on(100), interpretation="POS")
    ana["interpretation"][0]["coding"].append({"system": "urn:oid:1.2.840.114350.1.13.0.1.7.4.808765", "code": "N"})
    assert status_of("I5", ana) == "met"


def test_a_loinc_answer_code_is_read_by_its_words() -> None:
    """A LOINC answer (LA list) coding is not a SNOMED qualifier: its display decides."""
    answer = {"valueCodeableConcept": {"coding": [{"system": "http://loinc.org", "code": "LA6576-8", "display": "Positive"}]}}
    assert status_of("I5", lab("8061-4", effective=_on(100), value=answer)) == "met"


def test_a_numeric_local_value_code_is_not_read_as_snomed() -> None:
    """Oracle Health code set values are numbers; one that equals a SNOMED qualifier code
    ("Negative", 260385009) under a local system is read by its display instead."""
    value = {"valueCodeableConcept": {"coding": [{"system": CERNER_CODESET_72, "code": "260385009", "display": "Reactive"}]}}
    resources = [
        lab(ANTI_HCV, effective=_on(10), value=value),
        observation(HBSAG, value_code=NEGATIVE, on=days_before(10)),
        observation(ANTI_HBC, value_code=NEGATIVE, on=days_before(10)),
    ]
    assert status_of("E4", *resources) == "met"


def test_a_reference_range_in_an_unreadable_unit_is_not_replaced_by_the_default_uln() -> None:
    """The lab's own ULN was sent in "u/l" without a code (in case-sensitive UCUM `u` is the
    atomic mass unit, not an enzyme unit): the ratio is unknown, not taken from the default."""
    alt = lab("1742-6", effective=_on(3), value=quantity(70, "U/L", "U/L"))
    alt["referenceRange"] = [{"high": {"value": 33, "unit": "u/l"}}]
    ast = observation("1920-8", 20, "U/L", ref_high=40, on=days_before(3))
    entry = criterion(evaluate(alt, ast), "E3.1")
    assert entry["status"] == "unknown"
    assert "u/l" in entry["reason"]
