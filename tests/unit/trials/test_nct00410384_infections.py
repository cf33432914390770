"""BLISS-76 (NCT00410384) E7 (infections that required management in the last 60 days) and
E9 (HIV, hepatitis B or C historically positive), read from the evaluation JSON.

Fixtures: Synthea encounter-diagnosis Conditions and inpatient Encounters (FHIR R4
exporter; reasonReference by reference string), Epic's Hospital Encounter.Read sample
(diagnosis.condition to a contained Condition), Synthea MedicationRequests (RxNorm SCD
with display, no route), infusion MedicationAdministrations with an IV route code,
US reference-lab serology (SNOMED CT Positive/Negative/Detected values, DET/ND
interpretations, "Reactive" text, viral loads with a "<" comparator) and Synthea's HIV
screen 7917-8.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from ehr_shapes import at, diagnosis, epic_hospital_encounter, lab_value, synthea_encounter
from fhir_builders import SNOMED, condition, days_before, dosage, medication, medication_request, observation
from nct00410384_records import DETECTED, IV, NEGATIVE, NOT_DETECTED, POSITIVE, administration, after, entry, status, statement_of_text

AMOXICILLIN = medication("308182", display="Amoxicillin 250 MG Oral Capsule")
CEFTRIAXONE = medication("2193", display="ceftriaxone")
SINUSITIS = ("snomed", "444814009", "Viral sinusitis (disorder)")
BIKTARVY = medication("1999667", display="bictegravir 50 MG / emtricitabine 200 MG / tenofovir alafenamide 25 MG Oral Tablet")


def amoxicillin_course(first_day_before: int, days: int = 10) -> dict:
    """A completed 10-day oral course as Synthea writes it (expectedSupplyDuration)."""
    return medication_request(AMOXICILLIN, days_before(first_day_before), status="completed", supply_days=days,
                              dose=dosage(250, per_day=3))


def resolved_infection(onset_before: int, abated_before: int, code: tuple[str, str, str] = SINUSITIS) -> dict:
    return condition(code[0], code[1], code[2], onset=days_before(onset_before), abatement=days_before(abated_before),
                     clinical_status="resolved")


# --- E7 (a) hospitalisation for infection -------------------------------------------------------


def test_e7_a_synthea_stay_for_pneumonia_is_met_until_its_end_plus_61() -> None:
    pneumonia = diagnosis(SNOMED, "233604007", "Pneumonia", onset=days_before(50), clinical="resolved", id="dx-pneumonia")
    stay = synthea_encounter(days_before(50), days_before(45), reasons=["Condition/dx-pneumonia"])
    found = entry("E7", stay, pneumonia)
    assert found["status"] == "met"
    assert found["clears_on"] == (days_before(45) + timedelta(days=61)).isoformat()


def test_e7_an_epic_stay_whose_diagnosis_is_an_infection() -> None:
    contained = {"resourceType": "Condition", "id": "dx", "subject": {"reference": "Patient/p1"},
                 "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "J18.9", "display": "Pneumonia"}]}}
    stay = epic_hospital_encounter(days_before(40), days_before(35), diagnoses=["#dx"], contained=[contained])
    assert status("E7", stay) == "met"


def test_e7_an_inpatient_stay_for_something_else_does_not_count() -> None:
    fracture = diagnosis(SNOMED, "263102004", "Fracture subluxation of wrist", onset=days_before(30), id="dx-fracture")
    stay = synthea_encounter(days_before(30), days_before(28), reasons=["Condition/dx-fracture"])
    assert status("E7", stay, fracture) == "not_met"


# --- E7 (b) a parenteral anti-infective ------------------------------------------------------------


@pytest.mark.parametrize(("days", "expected", "clears_in"), [(60, "met", 1), (30, "met", 31), (61, "not_met", None)])
def test_e7_a_parenteral_anti_infective_in_the_60_days_inclusive(days, expected, clears_in) -> None:
    found = entry("E7", administration(CEFTRIAXONE, days_before(days), route=IV, dose_mg=1000))
    assert found["status"] == expected
    assert found["clears_on"] == (after(clears_in) if clears_in is not None else None)


def test_e7_an_injectable_form_with_no_route_code_is_parenteral() -> None:
    injection = medication_request(medication("1665021", display="ceftriaxone 1000 MG Injection"), days_before(10), status="completed")
    assert status("E7", injection) == "met"


# --- E7 (c) a systemic anti-infective with an infection: a treated infection ----------------------------


def test_e7_a_treated_infection_clears_when_the_earlier_of_the_two_leaves_the_window() -> None:
    """Amoxicillin D-20 to D-10 and sinusitis D-21 to D-15: met until the infection leaves the
    60-day window (D-15 + 61); from then the course alone leaves the criterion unknown."""
    found = entry("E7", amoxicillin_course(20), resolved_infection(21, 15))
    assert found["status"] == "met"
    assert found["clears_on"] == (days_before(15) + timedelta(days=61)).isoformat()
    later = entry("E7", amoxicillin_course(20), resolved_infection(21, 15), as_of=days_before(15) + timedelta(days=61))
    assert later["status"] == "unknown"


def test_e7_antiretroviral_therapy_with_active_hiv_is_met_with_no_clears_on() -> None:
    found = entry("E7", medication_request(BIKTARVY, "2019-01-01", dose=dosage(1, unit="TAB", per_day=1)),
                  condition("icd10cm", "B20", onset="2018-06-01"))
    assert found["status"] == "met" and found["clears_on"] is None


# --- E7 unknown cases ---------------------------------------------------------------------------------


def test_e7_an_anti_infective_with_no_infection_is_unknown_prophylaxis_or_treatment() -> None:
    """Trimethoprim-sulfamethoxazole daily (Pneumocystis prophylaxis) with no infection recorded."""
    prophylaxis = medication_request(medication("198335", display="sulfamethoxazole 800 MG / trimethoprim 160 MG Oral Tablet"),
                                     days_before(200), dose=dosage(1, unit="TAB", per_day=1))
    found = entry("E7", prophylaxis)
    assert found["status"] == "unknown"
    assert "treatment, prophylaxis or suppressive therapy" in found["reason"]


def test_e7_an_untreated_infection_is_unknown_management_not_recorded() -> None:
    found = entry("E7", resolved_infection(30, 20))
    assert found["status"] == "unknown"
    assert "management not recorded" in found["reason"]


def test_e7_an_anti_infective_of_unknown_route_is_unknown() -> None:
    found = entry("E7", statement_of_text("ceftriaxone", days_before(10), days_before(10)))
    assert found["status"] == "unknown"
    assert "route class unknown" in found["reason"]


def test_e7_an_acute_infection_without_status_or_end_is_active_for_90_days_only() -> None:
    recent = condition(*SINUSITIS, onset=days_before(30), clinical_status=None)
    stale = condition(*SINUSITIS, onset=days_before(100), clinical_status=None)  # counted on its date only: outside 60 days
    assert status("E7", recent) == "unknown"
    assert status("E7", stale) == "not_met"


def test_e7_latent_tuberculosis_is_no_infection() -> None:
    """Isoniazid for latent TB: an anti-infective with no infection, so unknown (prophylaxis), never a treated infection."""
    found = entry("E7", condition("icd10cm", "Z22.7", onset="2025-01-01"),
                  medication_request(medication("197831", display="isoniazid 300 MG Oral Tablet"), days_before(100)))
    assert found["status"] == "unknown"


# --- E7 not_met ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "resources",
    [[], [amoxicillin_course(400), resolved_infection(401, 390)],  # treated, but long before the window
     [medication_request(medication(None, text="mupirocin 2 % Topical Ointment"), days_before(10))]],  # local only
)
def test_e7_nothing_managed_in_the_window_is_not_met(resources) -> None:
    found = entry("E7", *resources)
    assert found["status"] == "not_met" and found["clears_on"] is None


# --- E9 HIV, hepatitis B or C, historically positive ------------------------------------------------------

ALL_NEGATIVE = [
    observation("7917-8", value_code=NEGATIVE, on=days_before(9)),
    observation("5195-3", value_code=NEGATIVE, on=days_before(9)),
    observation("16933-4", value_code=NEGATIVE, on=days_before(9)),
    observation("16128-1", value_code=NEGATIVE, on=days_before(9)),
]


def _without(code: str) -> list[dict]:
    return [r for r in ALL_NEGATIVE if r["code"]["coding"][0]["code"] != code]


def test_e9_all_three_viruses_negative_is_not_met() -> None:
    found = entry("E9", *ALL_NEGATIVE)
    assert found["status"] == "not_met" and found["clears_on"] is None


@pytest.mark.parametrize(
    "positive",
    [
        observation("7917-8", value_code=POSITIVE, on="2009-02-01"),  # Synthea's HIV screen, years ago
        condition("icd10cm", "B20", onset="2001-01-01", clinical_status="inactive"),  # any clinicalStatus
        observation("5195-3", value_string="Reactive", on="2015-01-01"),  # HBsAg historically positive
        observation("29610-3", value_code=DETECTED, on="2016-01-01"),  # HBV DNA detected
        observation("42595-9", 150, "[IU]/mL", on="2016-01-01"),  # a viral load without "<": detected
        condition("icd10cm", "B18.1", onset="2001-01-01", clinical_status="resolved"),
        observation("13955-0", interpretation="POS", on="2018-01-01"),  # anti-HCV
        observation("11011-4", 5000, "[IU]/mL", on="2019-01-01"),  # HCV RNA viral load
        observation("11259-9", value_string="Detected", interpretation="DET", on="2019-01-01"),
        condition("snomed", "128302006", onset="2010-01-01", clinical_status="resolved"),  # chronic hepatitis C
    ],
)
def test_e9_a_positive_ever_is_met_even_after_later_negatives(positive) -> None:
    found = entry("E9", positive, *ALL_NEGATIVE)
    assert found["status"] == "met"
    assert found["clears_on"] is None


def test_e9_a_refuted_diagnosis_does_not_count() -> None:
    assert status("E9", condition("icd10cm", "B20", onset="2001-01-01", verification="refuted"), *ALL_NEGATIVE) == "not_met"


@pytest.mark.parametrize(
    "result",
    [
        observation("42595-9", 20, "[IU]/mL", comparator="<", on=days_before(9)),
        lab_value("42595-9", {"valueString": "<20"}, effective=at(f"{days_before(9).isoformat()}T08:00:00Z")),
        observation("29610-3", value_code=NOT_DETECTED, on=days_before(9)),
    ],
)
def test_e9_hbv_dna_below_the_limit_is_not_detected(result) -> None:
    assert status("E9", result, *ALL_NEGATIVE) == "not_met"


def test_e9_anti_hbc_alone_is_unknown_past_or_occult_hbv() -> None:
    found = entry("E9", *_without("16933-4"), observation("16933-4", value_code=POSITIVE, on="2012-01-01"))
    assert found["status"] == "unknown"
    assert "past or occult HBV" in found["reason"]


def test_e9_anti_hbc_with_a_positive_hbsag_is_met() -> None:
    found = entry("E9", *ALL_NEGATIVE, observation("16933-4", value_code=POSITIVE, on="2012-01-01"),
                  observation("5195-3", value_code=POSITIVE, on="2012-01-01"))
    assert found["status"] == "met"


@pytest.mark.parametrize(("missing", "words"), [("7917-8", "no HIV test result"), ("5195-3", "no HBsAg result"),
                                                ("16128-1", "no anti-HCV/HCV RNA result")])
def test_e9_a_virus_with_no_result_is_unknown_the_screening_test_is_pending(missing, words) -> None:
    found = entry("E9", *_without(missing))
    assert found["status"] == "unknown"
    assert words in found["reason"]


def test_e9_no_result_at_all_is_unknown() -> None:
    assert status("E9") == "unknown"


def test_e9_r75_inconclusive_hiv_is_unknown() -> None:
    found = entry("E9", condition("icd10cm", "R75", onset=days_before(40)), *ALL_NEGATIVE)
    assert found["status"] == "unknown"
    assert "inconclusive laboratory evidence of HIV (R75)" in found["reason"]


def test_e9_equivocal_results_count_as_neither() -> None:
    found = entry("E9", *_without("16128-1"), observation("16128-1", value_string="Indeterminate", on=days_before(9)))
    assert found["status"] == "unknown"


def test_with_nothing_recorded_e7_names_each_missing_fact_once() -> None:
    """E7's parts share leaves (the systemic anti-infective and the infection appear in the
    treated-infection AND and again in the unknown tiers): the reason says each once."""
    result = entry("E7")
    assert result["status"] == "not_met"
    phrases = result["reason"].split("; ")
    assert len(phrases) == len(set(phrases)) == 4
