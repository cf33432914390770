"""Start-up checks of the portfolio kinds' parameters, the value-set file format (ranges
and exclusions), the Encounter prefetch, and the builders' FHIR validity.

A trial file naming an unknown value set, analyte or parameter stops the load with a
message naming the file, the criterion and the key.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from fhir_builders import days_before, patient
from fhir.resources.evidencevariable import EvidenceVariable
from kind_trials import KindProbe, criterion, trial_of, write_trial
from test_logic_constructs import CKD_SEVERE, EGFR_BELOW_30
from test_portfolio_external_patients import LOGIC
from ehr_shapes import (
    at,
    collection,
    diagnosis,
    epic_hospital_encounter,
    lab_value,
    procedure_period,
    synthea_encounter,
    titer_ratio,
    ucum,
)

from cds.export.evidence_variable import evidence_variable
from cds.record.templates import templates_for
from cds.trials.loader import TrialDefinitionError, load_trial
from fhir_mappings.terminology import Coding, ValueSetError, valueset_from

UPCR = {"ratio_threshold": {"analytes": ["upcr_24h"], "label": "UPCR", "comparator": ">=", "value": 1, "unit": "g/g"}}


@pytest.mark.parametrize(
    ("logic", "key"),
    [
        ({"condition": {"valuesets": ["infection_anything"], "label": "x"}}, "infection_anything"),
        ({"condition": {"valuesets": ["infection_any"], "label": "x", "status": "active", "acute_within_days": 90, "chronic_valuesets": ["chronic"]}}, "chronic_valuesets"),
        ({"latest_class": {"label": "x", "classes": [{"valueset": "ln_class_7", "name": "VII"}], "qualifying_valuesets": []}}, "ln_class_7"),
        ({"hospitalisation": {"label": "x", "within_days": 28, "encounter_valuesets": ["inpatient"], "reason_valuesets": ["infection_any"]}}, "inpatient"),
        ({"ratio_threshold": {**UPCR["ratio_threshold"], "quoted_analytes": ["upcr_spt"]}}, "upcr_spt"),
        ({"lab_threshold": {"analyte": "anc", "label": "ANC", "comparator": "<", "value": 1, "unit": "10*3/uL",
                            "derived_from": {"total_analyte": "wbc", "percent_analyte": "neutrophils"}}}, "neutrophils"),
        ({"renal_function": {"label": "eGFR", "comparator": "<", "value": 30, "unit": "mL/min/{1.73_m2}",
                             "computed": {"creatinine_analyte": "serum_creatinine", "equation": "ckd_epi_2009"}}}, "ckd_epi_2009"),
        ({"renal_function": {"label": "eGFR", "comparator": "<", "value": 30, "unit": "mL/min/{1.73_m2}"}}, "at least one step"),
        ({"serology": {"analytes": ["hcg"], "label": "hCG", "select": "any_within", "within_day": 30}}, "within_day"),
        ({"serology": {"analytes": ["hcg"], "label": "hCG", "select": "any_within"}}, "needs a window"),
        ({"titer": {"analytes": ["ana"], "label": "ANA", "at_leats": 80}}, "at_leats"),
        ({"procedure": {"valuesets": ["kidney_biopsy"], "label": "biopsy", "within_months": 6, "lessthan": True}}, "lessthan"),
        ({"age": {}}, "min_years"),
    ],
)
def test_unknown_names_stop_the_load_naming_file_criterion_and_key(tmp_path, logic, key) -> None:
    path = write_trial(tmp_path, criterion("E7", logic))
    with pytest.raises(TrialDefinitionError) as caught:
        load_trial(path)
    message = str(caught.value)
    assert str(path) in message and "criterion E7" in message and key in message


def test_a_trial_local_analyte_is_a_known_analyte(tmp_path) -> None:
    local = {"sledai_2k": [{"system": "https://example.org/fhir/CodeSystem/local-scores", "code": "SLEDAI-2K"}]}
    logic = {"lab_threshold": {"analyte": "sledai_2k", "label": "SLEDAI-2K", "comparator": ">=", "value": 4}}
    assert trial_of(tmp_path, criterion("I5", logic, kind="inclusion"), local_analytes=local).criteria[0].id == "I5"
    with pytest.raises(TrialDefinitionError, match="sledai_2k"):
        trial_of(tmp_path, criterion("I5", logic, kind="inclusion"))


@pytest.mark.parametrize(
    ("code", "inside"),
    [("A00", True), ("A00.1", True), ("B99.9", True), ("C00.0", False), ("B35.1", False), ("B36", False), ("B37.0", True), ("M86.35", True), ("M86.7", False), ("M86.2", False)],
)
def test_value_set_ranges_and_exclusions(code, inside) -> None:
    body = {
        "codes": [
            {"system": "icd10cm", "code": "A00", "to": "B99", "match": "range"},
            {"system": "icd10cm", "code": "M86.3", "to": "M86.6", "match": "range"},
        ],
        "exclude": [{"system": "icd10cm", "code": "B35", "to": "B36", "match": "range"}],
    }
    built = valueset_from("test", body, "test.yaml")
    assert built.contains(Coding("http://hl7.org/fhir/sid/icd-10-cm", code)) is inside
    assert built.contains(Coding("urn:oid:2.16.840.1.113883.6.90", code.replace(".", ""))) is inside


@pytest.mark.parametrize(
    "entry",
    [
        {"system": "icd10cm", "code": "A00", "to": "B9", "match": "range"},  # ends of different length
        {"system": "icd10cm", "code": "B99", "to": "A00", "match": "range"},  # out of order
        {"system": "icd10cm", "code": "A00", "match": "fuzzy"},
        {"system": "nosuch", "code": "A00"},
    ],
)
def test_malformed_value_set_entries_are_refused(entry) -> None:
    with pytest.raises(ValueSetError):
        valueset_from("test", {"codes": [entry]}, "test.yaml")


def test_a_hospitalisation_criterion_asks_the_ehr_for_encounters(tmp_path) -> None:
    logic = {"hospitalisation": {"label": "x", "within_days": 28, "encounter_valuesets": ["inpatient_encounter_class"], "reason_valuesets": ["infection_any"]}}
    trial = trial_of(tmp_path, criterion("E5.2", logic))
    assert {"Encounter", "Condition"} <= trial.resource_types
    queries = [t.query for t in templates_for(trial.resource_types)]
    assert "Encounter?patient={{context.patientId}}" in queries


def test_lab_groups_ask_for_every_member_code(tmp_path) -> None:
    logic = {"serology": {"analytes": ["anti_hbc"], "label": "anti-HBc", "select": "most_recent"}}
    codes = {code for _, code in trial_of(tmp_path, criterion("E4", logic)).observation_codes}
    assert {"13952-7", "16933-4", "31204-1", "24113-3"} <= codes


def test_age_with_a_lower_bound_only(tmp_path) -> None:
    probe = KindProbe(tmp_path, {"age": {"min_years": 18}}, kind="inclusion")
    assert probe(patient("2008-11-25"))["status"] == "met"  # 18 on D
    assert probe(patient("2008-11-26"))["status"] == "not_met"
    assert probe(patient("1931-01-01"))["status"] == "met"
    assert probe(patient(None))["status"] == "unknown"


SHAPES: list[dict[str, Any]] = [
    synthea_encounter(days_before(20), days_before(15), reasons=["urn:uuid:dx-1"], reason_code=("http://snomed.info/sct", "233604007", "Pneumonia")),
    synthea_encounter(days_before(20), None, status="in-progress"),
    epic_hospital_encounter(days_before(12), days_before(9), diagnoses=["#c1"], contained=[diagnosis("http://hl7.org/fhir/sid/icd-10-cm", "N10", "Acute pyelonephritis", id="c1")]),
    diagnosis("http://snomed.info/sct", "233604007", "Pneumonia", onset=days_before(20), encounter="urn:uuid:enc-1"),
    lab_value("5048-4", titer_ratio(160), effective=at("2025-03-03T10:00:00Z"), interpretation="POS"),
    lab_value("2889-4", ucum(1500, "mg/(24.h)"), effective=collection("2026-11-10T07:00:00Z", "2026-11-11T07:00:00Z")),
    procedure_period("http://snomed.info/sct", "265764009", days_before(120), days_before(90)),
]


@pytest.mark.parametrize("resource", SHAPES, ids=lambda r: f"{r['resourceType']}-{r['id']}")
def test_portfolio_shapes_are_valid_fhir(resource: dict[str, Any]) -> None:
    module = importlib.import_module(f"fhir.resources.R4B.{resource['resourceType'].lower()}")
    getattr(module, resource["resourceType"]).model_validate(resource)


def test_a_trial_of_every_portfolio_kind_and_construct_exports_as_valid_r5(tmp_path) -> None:
    """The export reads parameters by their names: the portfolio kinds follow the naming,
    so their codes and thresholds are written and the EvidenceVariable validates."""
    logic = {**LOGIC, "E2.1": {"fallback": [EGFR_BELOW_30, CKD_SEVERE]}, "I10": {"not": LOGIC["E8"]}}
    resource = evidence_variable(trial_of(tmp_path, *[criterion(cid, part) for cid, part in logic.items()]))
    EvidenceVariable.model_validate(resource)
    by_id = {c["linkId"]: c for c in resource["characteristic"]}
    assert set(by_id) == set(logic)
    renal = by_id["CRCL"]["definitionByTypeAndValue"]
    assert {"12195-4", "33914-3"} <= {c["code"] for c in renal["type"]["coding"]}
    assert renal["valueQuantity"]["code"] == "mL/min/{1.73_m2}"
