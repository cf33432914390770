"""Non-drug criteria of the portfolio pages written with the generic kinds, as the trial
files will write them (the logic blocks here are the sketches of the report): the
met / not_met / unknown cases each page names.

Resources are builder-made problem-list Conditions, Procedures, Observations and
MedicationRequests (fhir_builders.py), and Synthea-shaped Encounters (ehr_shapes.py).
"""

from __future__ import annotations

import pytest
from fhir_builders import SNOMED, condition, days_before, medication, medication_request, observation, procedure
from kind_trials import KindProbe
from ehr_shapes import diagnosis, synthea_encounter

ACTIVE = "active"

# NCT03543839 E3.1: active renal or nervous-system lupus; a CNS event not coded as lupus is unknown.
E3_1 = {"any": [
    {"condition": {"valuesets": ["lupus_nephritis", "npsle"], "label": "lupus nephritis or neuropsychiatric lupus", "status": ACTIVE}},
    {"unknown_if": {"reason": "CNS event not coded as lupus-related: confirm whether it is due to lupus",
                    "part": {"condition": {"valuesets": ["cns_event"], "label": "CNS event", "status": ACTIVE}}}},
]}

# NCT04221477 E2.3: need for renal transplantation.
E2_3 = {"any": [
    {"procedure": {"valuesets": ["kidney_tx_proc"], "label": "kidney transplant"}},
    {"condition": {"valuesets": ["kidney_tx_status"], "label": "kidney transplant status", "status": "any"}},
    {"condition": {"valuesets": ["kidney_tx_awaiting"], "label": "awaiting kidney transplantation", "status": ACTIVE}},
    {"unknown_if": {"reason": "awaiting an organ transplant, organ not stated: confirm it is a kidney",
                    "part": {"condition": {"valuesets": ["organ_tx_awaiting"], "label": "awaiting organ transplant", "status": ACTIVE}}}},
    {"unknown_if": {"reason": "pretransplant evaluation of a kidney recipient: confirm the need for transplantation",
                    "part": {"procedure": {"valuesets": ["kidney_pretransplant_evaluation"], "label": "pretransplant evaluation", "within_months": 12}}}},
]}

# NCT00410384 E8: current drug or alcohol abuse or dependence.
E8 = {"any": [
    {"condition": {"valuesets": ["substance_use_disorder"], "label": "substance abuse or dependence", "status": ACTIVE}},
    {"unknown_if": {"reason": "screening finding only: confirm abuse or dependence",
                    "part": {"condition": {"valuesets": ["substance_use_screening"], "label": "substance misuse finding", "status": ACTIVE}}}},
]}

# NCT03543839 E12: history of positive HIV.
E12 = {"any": [
    {"condition": {"valuesets": ["hiv_dx"], "label": "HIV diagnosis", "status": "any"}},
    {"serology": {"analytes": ["hiv_test"], "label": "HIV test", "select": "any_ever",
                  "no_result": {"status": "not_met", "reason": "no HIV test on record"}}},
    {"unknown_if": {"reason": "inconclusive laboratory evidence of HIV (R75): confirm",
                    "part": {"condition": {"valuesets": ["hiv_inconclusive"], "label": "inconclusive HIV evidence", "status": "any"}}}},
]}

# NCT00410384 E7 (non-drug parts with a drug part): infections managed within 60 days.
# The drug parts are `drug_exposure` here; the kmeds engineer adds route classes
# (parenteral / systemic / route unknown) to them.
ANTI_INFECTIVE_60 = {"drug_exposure": {"groups": ["anti_infective"], "label": "anti-infective", "within_days": 60}}
INFECTION_60 = {"condition": {"valuesets": ["infection_any"], "label": "infection", "within_days": 60,
                              "acute_within_days": 90, "chronic_valuesets": ["infection_chronic"]}}
E7 = {"any": [
    {"hospitalisation": {"label": "hospitalisation for infection", "within_days": 60,
                         "encounter_valuesets": ["inpatient_encounter_class", "inpatient_encounter_type"], "reason_valuesets": ["infection_any"]}},
    {"all": [ANTI_INFECTIVE_60, INFECTION_60]},
    {"unknown_if": {"reason": "anti-infective with no infection recorded (treatment, prophylaxis or suppression): confirm", "part": ANTI_INFECTIVE_60}},
    {"unknown_if": {"reason": "infection recorded with no anti-infective (management not recorded): confirm", "part": INFECTION_60}},
]}
AMOXICILLIN = medication("308182", display="Amoxicillin 250 MG Oral Capsule")


@pytest.mark.parametrize(
    ("resources", "status"),
    [
        ([condition("snomed", "36402006", onset="2025-01-01")], "met"),
        ([condition("snomed", "95644001", onset="2025-01-01")], "met"),
        ([condition("snomed", "91175000", onset="2025-01-01")], "unknown"),
        ([condition("snomed", "91175000", onset="2025-01-01", clinical_status="resolved")], "not_met"),
        ([condition("icd10cm", "Z86.73", onset="2020-01-01")], "not_met"),
        ([], "not_met"),
    ],
)
def test_active_renal_or_cns_lupus(tmp_path, resources, status) -> None:
    assert KindProbe(tmp_path, E3_1)(*resources)["status"] == status


@pytest.mark.parametrize(
    ("resources", "status"),
    [
        ([procedure("snomed", "711446003", "2012-05-01")], "met"),
        ([condition("icd10cm", "Z94.0", clinical_status="inactive", onset="2012-05-01")], "met"),
        ([condition("snomed", "698306007", onset="2026-01-01")], "met"),
        ([condition("icd10cm", "Z76.82", onset="2026-01-01")], "unknown"),
        ([procedure("snomed", "428830000", days_before(100))], "unknown"),
        ([procedure("snomed", "428830000", "2024-01-01")], "not_met"),
        ([], "not_met"),
    ],
)
def test_need_for_renal_transplantation(tmp_path, resources, status) -> None:
    entry = KindProbe(tmp_path, E2_3)(*resources)
    assert entry["status"] == status
    assert entry["clears_on"] is None


@pytest.mark.parametrize(
    ("resources", "status"),
    [
        ([condition("icd10cm", "F10.20", onset="2025-01-01")], "met"),
        ([condition("snomed", "6525002", onset="2025-01-01")], "met"),  # Synthea's dependent drug abuse
        ([condition("icd10cm", "F10.21", onset="2025-01-01")], "not_met"),  # in remission
        ([condition("icd10cm", "F17.210", onset="2025-01-01")], "not_met"),  # nicotine
        ([condition("snomed", "361055000", onset="2025-01-01")], "unknown"),
        ([condition("icd10cm", "F10.20", onset="2020-01-01", clinical_status="resolved")], "not_met"),
    ],
)
def test_current_substance_abuse(tmp_path, resources, status) -> None:
    assert KindProbe(tmp_path, E8)(*resources)["status"] == status


@pytest.mark.parametrize(
    ("resources", "status"),
    [
        ([], "not_met"),  # closed-world history
        ([observation("7917-8", value_code=("snomed", "260385009", "Negative"), on="2020-01-01")], "not_met"),
        ([observation("7917-8", value_code=("snomed", "10828004", "Positive"), on="2009-01-01")], "met"),
        ([condition("icd10cm", "B20", clinical_status="inactive", onset="2001-01-01")], "met"),
        ([condition("icd10cm", "R75", onset="2026-01-01")], "unknown"),
    ],
)
def test_history_of_positive_hiv(tmp_path, resources, status) -> None:
    assert KindProbe(tmp_path, E12)(*resources)["status"] == status


def test_infection_management_needs_treatment_and_infection_together(tmp_path) -> None:
    probe = KindProbe(tmp_path, E7)
    treated = [medication_request(AMOXICILLIN, days_before(20), status="completed", supply_days=10),
               condition("snomed", "444814009", onset=days_before(21), abatement=days_before(10), clinical_status="resolved")]
    entry = probe(*treated)
    assert entry["status"] == "met"
    assert entry["clears_on"] is not None
    assert probe(treated[0])["status"] == "unknown"  # anti-infective alone
    assert probe(treated[1])["status"] == "unknown"  # infection alone
    assert probe()["status"] == "not_met"


def test_infection_management_by_hospitalisation(tmp_path) -> None:
    pneumonia = diagnosis(SNOMED, "233604007", "Pneumonia", onset=days_before(50), id="dx-e7")
    stay = synthea_encounter(days_before(50), days_before(45), reasons=["Condition/dx-e7"])
    entry = KindProbe(tmp_path, E7)(stay, pneumonia)
    assert entry["status"] == "met"
