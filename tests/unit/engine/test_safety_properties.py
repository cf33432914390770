"""Safety properties over generated patients (hypothesis).

- Labs are open-world: with every lab Observation removed, no criterion that reads a
  lab is not_met (a criterion made only of lab parts is unknown).
- No patient with a met exclusion is ever potentially_eligible; eligible_from is set
  only when every blocking criterion has a clears_on, and is the latest of them.
- The evaluation JSON has exactly the documented keys, for any patient.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fhir_builders import (
    AS_OF,
    allergy,
    condition,
    days_before,
    dosage,
    immunization,
    medication,
    medication_dispense,
    medication_statement,
    observation,
    patient,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trial_eval import criterion, evaluate, nct05247203

from cds.engine.tree import leaves

LAB_KINDS = {"lab_threshold", "lab_uln_ratio", "creatinine_clearance", "serology"}
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

LABS = [  # (LOINC, unit, low, high): realistic ranges around the trial's thresholds
    ("718-7", "g/L", 50, 170), ("718-7", "g/dL", 5, 17), ("59260-0", "mmol/L", 3, 11),
    ("6690-2", "10*3/uL", 0.5, 15), ("777-3", "10*9/L", 10, 450), ("777-3", "/uL", 10000, 450000),
    ("2160-0", "mg/dL", 0.4, 6), ("14682-9", "umol/L", 40, 500), ("38483-4", "mg/dL", 0.4, 6),
    ("2889-4", "g/(24.h)", 0, 12), ("2889-4", "mg/(24.h)", 0, 12000),
    ("1742-6", "U/L", 5, 300), ("1920-8", "[IU]/L", 5, 300), ("2164-2", "mL/min", 5, 140),
    ("29463-7", "kg", 40, 120), ("5130-0", "[IU]/mL", 0, 200), ("718-7", "mg/furlong", 1, 9),
]
QUALITATIVE = ["8061-4", "5195-3", "16128-1", "16933-4", "29610-3", "2106-3"]
INTERPRETATIONS = ["POS", "NEG", "IND", "H", "N", None]
CONDITIONS = [
    ("snomed", "55464009"), ("snomed", "200936003"), ("icd10cm", "M32.14"), ("icd10cm", "L93.0"),
    ("snomed", "91175000"), ("icd10cm", "B18.2"), ("icd10cm", "D80.1"), ("snomed", "77386006"),
    ("icd10cm", "B20"), ("icd10cm", "F32.9"), ("snomed", "46177005"), ("snomed", "44054006"),
]
CLINICAL = ["active", "inactive", "resolved", "remission", None]
DRUGS = [
    medication("8640", "prednisone"), medication("5521", "hydroxychloroquine"), medication("121191", "rituximab"),
    medication("1927283", display="infliximab-abda"), medication("5666", "immune globulin"),
    medication("10432", "thalidomide"), medication("6902", "methylprednisolone"), medication("29046", "lisinopril"),
]

offsets = st.integers(min_value=-5, max_value=800)


@st.composite
def lab_results(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        code, unit, low, high = draw(st.sampled_from(LABS))
        value = draw(st.floats(min_value=low, max_value=high, allow_nan=False).map(lambda v: round(v, 2)))
        ref_high = draw(st.sampled_from([None, 35, 40, 56]))
        return observation(code, value, unit, on=days_before(draw(offsets)), ref_high=ref_high,
                           status=draw(st.sampled_from(["final", "final", "amended", "preliminary"])))
    return observation(draw(st.sampled_from(QUALITATIVE)), on=days_before(draw(offsets)),
                       interpretation=draw(st.sampled_from(INTERPRETATIONS)),
                       value_string=draw(st.sampled_from([None, "1:80", "1:40", "Not detected", "Positive"])))


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    system, code = draw(st.sampled_from(CONDITIONS))
    clinical = draw(st.sampled_from(CLINICAL))
    onset = days_before(draw(offsets))
    abatement = days_before(draw(st.integers(-5, 100))) if clinical in ("resolved", "inactive") and draw(st.booleans()) else None
    if abatement is not None and abatement < onset:
        abatement = onset
    verification = draw(st.sampled_from(["confirmed", "confirmed", "refuted"]))
    return condition(system, code, clinical_status=None if verification == "refuted" else clinical,
                     verification=verification, onset=onset, abatement=None if verification == "refuted" else abatement)


@st.composite
def medications(draw: st.DrawFn) -> dict[str, Any]:
    start = days_before(draw(offsets))
    length = draw(st.one_of(st.none(), st.integers(0, 60)))
    end = None if length is None else min(date.max, date.fromordinal(start.toordinal() + length))
    dose = draw(st.one_of(st.none(), st.sampled_from([5, 20, 60, 100, 125]).map(lambda mg: dosage(mg, per_day=1))))
    drug = draw(st.sampled_from(DRUGS))
    if draw(st.booleans()):
        return medication_dispense(drug, start, days_supply=length or None, dose=dose)
    return medication_statement(drug, start, end, status="active" if end is None else "completed", dose=dose)


@st.composite
def patients(draw: st.DrawFn) -> list[dict[str, Any]]:
    birth = draw(st.one_of(st.none(), st.dates(min_value=date(1935, 1, 1), max_value=date(2012, 12, 31))))
    resources: list[dict[str, Any]] = [patient(birth_date=birth, gender=draw(st.sampled_from(["female", "male", "unknown"])))]
    resources += draw(st.lists(lab_results(), max_size=12))
    resources += draw(st.lists(conditions(), max_size=5))
    resources += draw(st.lists(medications(), max_size=5))
    resources += draw(st.lists(st.builds(lambda cvx, d: immunization(cvx, days_before(d)),
                                         st.sampled_from(["03", "21", "140", "87"]), offsets), max_size=2))
    if draw(st.booleans()):
        resources.append(allergy(medication(text=draw(st.sampled_from(["rituximab", "penicillin", "abatacept"])))))
    return resources


def _lab_reading() -> tuple[set[str], set[str]]:
    """Criteria that read a lab, and those made only of lab parts (from the trial file)."""
    reads, only = set(), set()
    for c in nct05247203().criteria:
        kinds = {leaf.kind.name for leaf in leaves(c.logic)}
        if kinds & LAB_KINDS:
            reads.add(c.id)
            if kinds <= LAB_KINDS:
                only.add(c.id)
    return reads, only


def test_lab_reading_criteria_are_found_in_the_trial_file() -> None:
    reads, only = _lab_reading()
    assert {"E3.1", "E3.2", "E3.3", "E3.4", "E3.5", "I5", "I4"} <= only
    assert {"E1", "E4", "E6"} <= reads - only


@SETTINGS
@given(patients())
def test_without_lab_results_no_lab_criterion_is_not_met(resources: list[dict[str, Any]]) -> None:
    without_labs = [r for r in resources if r["resourceType"] != "Observation"]
    result = evaluate(*without_labs)
    reads, only = _lab_reading()
    for cid in reads:
        assert criterion(result, cid)["status"] != "not_met", cid
    for cid in only:
        assert criterion(result, cid)["status"] == "unknown", cid


@SETTINGS
@given(patients())
def test_a_met_exclusion_is_never_potentially_eligible(resources: list[dict[str, Any]]) -> None:
    result = evaluate(*resources)
    blocking = [
        c for c in result["criteria"]
        if (c["kind"] == "exclusion" and c["status"] == "met") or (c["kind"] == "inclusion" and c["status"] == "not_met")
    ]
    assert (result["decision"] == "ineligible") == bool(blocking)
    if blocking and all(c["clears_on"] for c in blocking):
        assert result["eligible_from"] == max(c["clears_on"] for c in blocking)
        assert result["eligible_from"] > AS_OF.isoformat()
    else:
        assert result["eligible_from"] is None


@SETTINGS
@given(patients(), st.sampled_from([
    observation("718-7", 70, "g/L", on=AS_OF),  # E3.4, a lab value on D
    condition("icd10cm", "B20", clinical_status="inactive"),  # E14, any HIV diagnosis
    immunization("03", AS_OF),  # E8, a live vaccine on D
]))
def test_adding_an_exclusion_trigger_makes_any_patient_ineligible(resources: list[dict[str, Any]], trigger: dict) -> None:
    others = [r for r in resources if not (trigger["resourceType"] == "Observation" and r["resourceType"] == "Observation")]
    assert evaluate(*others, trigger)["decision"] == "ineligible"


@SETTINGS
@given(patients())
def test_json_shape_is_exact_for_any_patient(resources: list[dict[str, Any]]) -> None:
    result = evaluate(*resources)
    assert set(result) == {"trial", "patient", "as_of", "decision", "eligible_from", "not_candidate_reason", "criteria",
                           "unidentified_medications", "missing_data"}
    assert result["not_candidate_reason"] is None  # generated patients are alive
    assert result["missing_data"] == []  # a whole Bundle: nothing failed to arrive
    assert result["decision"] in {"ineligible", "potentially_eligible"}
    assert [c["id"] for c in result["criteria"]] == [c.id for c in nct05247203().criteria]
    for entry in result["criteria"]:
        assert set(entry) == {"id", "kind", "label", "status", "manual", "reason", "clears_on", "evidence"}
        assert entry["kind"] in {"inclusion", "exclusion"}
        assert entry["status"] in {"met", "not_met", "unknown"}
        assert isinstance(entry["manual"], bool)
        assert isinstance(entry["reason"], str) and entry["reason"] and "\n" not in entry["reason"]
        if entry["clears_on"] is not None:
            date.fromisoformat(entry["clears_on"])
        for ev in entry["evidence"]:
            assert set(ev) == {"reference", "code", "value", "date"}
            assert "/" in ev["reference"]
    for entry in result["unidentified_medications"]:
        assert set(entry) == {"reference", "code", "text"}
        assert entry["reference"].startswith("Medication")
