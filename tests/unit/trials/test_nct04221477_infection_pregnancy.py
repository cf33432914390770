"""NCT04221477 (REGENCY) E1, E5.1 and E5.2: pregnancy or breastfeeding, known active
infection, and a recent major episode of infection (criteria-nct04221477.md; portfolio
G3, G12, G15, G16).

Fixtures: Synthea's pregnancy module (a 72892002 Condition, and pregnancy-test Procedures
with no result), urine and serum hCG as US Core's Observation Lab example writes them;
encounter-diagnosis Conditions and inpatient Encounters as Synthea's FHIR R4 exporter
writes them (reasonReference under urn:uuid fullUrls, Condition.encounter), a hospital
Encounter as Epic's Encounter.Read (Hospital Encounter) sample (diagnosis.condition, class
IMP under the v3 ActCode OID), problems as Epic's Condition.Read (Problems) sample;
anti-infectives as Synthea's SCDs (Amoxicillin 250 MG Oral Capsule) and as an IM
MedicationAdministration ('medadminexample03' shape with an IM route).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from ehr_shapes import epic_hospital_encounter, epic_problem, synthea_encounter
from ehr_shapes import diagnosis as encounter_diagnosis
from fhir_builders import (
    AS_OF,
    ICD10CM,
    SNOMED,
    condition,
    days_before,
    dosage,
    medication,
    medication_administration,
    medication_request,
    medication_statement,
    observation,
    procedure,
)
from regency_patients import entry

SCREENING_NOTE = "a screening pregnancy test is still required"
POSITIVE = ("snomed", "10828004", "Positive")
AMOXICILLIN = medication("308182", display="Amoxicillin 250 MG Oral Capsule")
CEFTRIAXONE = medication(text="cefTRIAXone 1 GM Injection")
IM = {"coding": [{"system": SNOMED, "code": "78421000", "display": "Intramuscular route"}]}


def normal_pregnancy(onset, **kwargs) -> dict:
    """Synthea's pregnancy module Condition: 72892002 'Normal pregnancy'."""
    return condition("snomed", "72892002", "Normal pregnancy", onset=onset, **kwargs)


def im_injection(drug: dict, on) -> dict:
    """A completed intramuscular injection as a MedicationAdministration."""
    found = medication_administration(drug, on, dose_mg=1000)
    found["dosage"]["route"] = IM
    return found


def synthea_id() -> str:
    """A Synthea-style resource id (a UUID) for resources linked by urn:uuid references."""
    return str(uuid.uuid4())


# --- E1: pregnancy or breastfeeding ----------------------------------------------------------


@pytest.mark.parametrize(("days", "status"), [(100, "met"), (294, "met"), (295, "unknown")])
def test_an_open_pregnancy_counts_for_42_weeks_then_is_stale(days: int, status: str) -> None:
    found = entry("E1", normal_pregnancy(days_before(days)))
    assert found["status"] == status
    assert found["clears_on"] is None


def test_a_stale_pregnancy_asks_to_confirm_and_notes_the_screening_test() -> None:
    found = entry("E1", normal_pregnancy(days_before(400)))
    assert "confirm whether it is current" in found["reason"]
    assert found["reason"].endswith(SCREENING_NOTE)


def test_a_delivered_pregnancy_is_not_met() -> None:
    found = entry("E1", normal_pregnancy(days_before(200), abatement=days_before(10), clinical_status="resolved"))
    assert found["status"] == "not_met"


def test_an_active_lactation_counts_whatever_its_date() -> None:
    found = entry("E1", condition("snomed", "169750002", "Mother currently breast-feeding", onset=days_before(600)))
    assert (found["status"], found["clears_on"]) == ("met", None)


@pytest.mark.parametrize(("days", "status"), [(30, "met"), (31, "not_met"), (0, "met")])
def test_a_positive_hcg_within_30_days_excludes(days: int, status: str) -> None:
    found = entry("E1", observation("2106-3", value_code=POSITIVE, on=days_before(days)))
    assert found["status"] == status
    assert found["clears_on"] is None


@pytest.mark.parametrize(("value", "status"), [(3, "not_met"), (4.9, "not_met"), (24.9, "not_met"), (25, "met"), (480, "met")])
def test_a_quantitative_serum_hcg_without_interpretation_reads_by_the_g12_cut_offs(value: float, status: str) -> None:
    found = entry("E1", observation("21198-7", value, "m[IU]/mL", on=days_before(4)))
    assert found["status"] == status


def test_an_equivocal_hcg_alone_is_not_a_positive_one_and_is_named() -> None:
    """G12: 5-25 m[IU]/mL is equivocal, neither positive nor negative; E1 is met only by a
    positive one, so the rest is not_met, the screening test being required anyway."""
    found = entry("E1", observation("21198-7", 10, "m[IU]/mL", on=days_before(4), id="hcg-eq"))
    assert found["status"] == "not_met"
    assert "neither positive nor negative, left out: 10 m[IU]/mL" in found["reason"]
    assert found["reason"].endswith(SCREENING_NOTE)
    assert [e["reference"] for e in found["evidence"]] == ["Observation/hcg-eq"]
    indeterminate = observation("2106-3", value_code=("snomed", "82334004", "Indeterminate"), interpretation="IND", on=days_before(2))
    assert entry("E1", indeterminate)["status"] == "not_met"


def test_an_equivocal_hcg_beside_a_positive_one_is_met() -> None:
    found = entry("E1", observation("21198-7", 10, "m[IU]/mL", on=days_before(4)), observation("2106-3", value_code=POSITIVE, on=days_before(9)))
    assert found["status"] == "met"


def test_an_hcg_that_cannot_be_read_is_unknown() -> None:
    assert entry("E1", observation("21198-7", 30, "mIU/mL", ucum=False, on=days_before(4)))["status"] == "unknown"


def test_an_interpretation_decides_over_the_quantity() -> None:
    assert entry("E1", observation("19080-1", 3, "m[IU]/mL", interpretation="POS", on=days_before(4)))["status"] == "met"


def test_hcg_in_iu_per_litre_is_the_same_quantity() -> None:
    assert entry("E1", observation("21198-7", 30, "[IU]/L", on=days_before(4)))["status"] == "met"


def test_no_pregnancy_record_is_not_met_and_notes_the_screening_test() -> None:
    found = entry("E1")
    assert found["status"] == "not_met"
    assert found["reason"] == (
        "no record of active pregnancy; no record of active lactation; no positive or negative hCG result in the last 30 days; " + SCREENING_NOTE
    )


def test_a_negative_hcg_is_not_met_and_still_notes_the_screening_test() -> None:
    found = entry("E1", observation("2106-3", value_code=("snomed", "260385009", "Negative"), on=days_before(3)))
    assert found["status"] == "not_met"
    assert found["reason"].endswith(SCREENING_NOTE)


def test_synthea_pregnancy_test_procedures_carry_no_result_and_are_ignored() -> None:
    assert entry("E1", procedure("snomed", "252160004", days_before(3)))["status"] == "not_met"


# --- E5.1: known active infection of any kind (G15, G16) -------------------------------------


@pytest.mark.parametrize(
    "record",
    [
        encounter_diagnosis(SNOMED, "233604007", "Pneumonia", onset=days_before(10)),
        condition("snomed", "307426000", "Acute infective cystitis", onset="2024-03-01"),  # explicitly active: counts whatever its age
        epic_problem("N39.0", None, "Urinary tract infection", clinical=None, onset={"onsetDateTime": days_before(90).isoformat()}),
        epic_problem("B20", "86406008", "HIV disease", clinical=None, onset={"onsetDateTime": "2010-01-01"}),  # chronic: no 90-day rule
        condition("snomed", "61977001", "Chronic type B viral hepatitis", clinical_status=None, onset="2015-06-01"),
        epic_problem("U07.1", "840539006", "COVID-19", onset={"onsetDateTime": days_before(5).isoformat()}),
    ],
)
def test_an_active_infection_is_met_without_clearing_date(record: dict) -> None:
    found = entry("E5.1", record)
    assert (found["status"], found["clears_on"]) == ("met", None)


def test_an_acute_infection_with_no_status_older_than_90_days_is_unknown() -> None:
    found = entry("E5.1", epic_problem("N39.0", None, "Urinary tract infection", clinical=None, onset={"onsetDateTime": days_before(91).isoformat()}))
    assert found["status"] == "unknown"
    assert "confirm resolved" in found["reason"]


@pytest.mark.parametrize(
    "record",
    [
        epic_problem("Z22.7", None, "Latent tuberculosis"),
        condition("snomed", "233604007", "Pneumonia", onset=days_before(40), abatement=days_before(20), clinical_status="resolved"),
        condition("snomed", "45170000", "Encephalitis", onset=days_before(5)),  # may be lupus encephalitis: left out on purpose
        condition("snomed", "55464009", onset="2019-01-01"),
    ],
)
def test_latent_tb_a_resolved_infection_and_non_infective_conditions_are_not_met(record: dict) -> None:
    assert entry("E5.1", record)["status"] == "not_met"


def test_a_superficial_mycosis_alone_is_unknown() -> None:
    nail_fungus = epic_problem("B35.1", "414941008", "Onychomycosis")
    found = entry("E5.1", nail_fungus)
    assert found["status"] == "unknown"
    assert "confirm whether the sponsor counts it" in found["reason"]
    assert entry("E5.1", nail_fungus, encounter_diagnosis(SNOMED, "233604007", "Pneumonia", onset=days_before(10)))["status"] == "met"


def test_a_systemic_anti_infective_taken_on_d_with_no_infection_is_unknown() -> None:
    ongoing = medication_request(AMOXICILLIN, days_before(3), dose=dosage(500, per_day=3))
    found = entry("E5.1", ongoing)
    assert found["status"] == "unknown"
    assert "treatment or prophylaxis" in found["reason"]


@pytest.mark.parametrize(
    "record",
    [
        medication_statement(AMOXICILLIN, days_before(20), days_before(10), status="completed"),  # ended before D
        medication_statement(medication(text="ciprofloxacin 3 MG/ML Ophthalmic Solution"), days_before(3)),  # local
        medication_statement(medication("5521", display="hydroxychloroquine"), "2020-01-01"),  # SLE therapy, not anti-infective
    ],
)
def test_an_anti_infective_not_taken_systemically_on_d_is_not_met(record: dict) -> None:
    assert entry("E5.1", record)["status"] == "not_met"


def test_an_anti_infective_of_unknown_route_on_d_is_unknown() -> None:
    assert entry("E5.1", medication_statement(medication("3640", display="doxycycline"), days_before(3)))["status"] == "unknown"


# --- E5.2: recent major episode of infection (project reading: 28 days) ---------------------


def cystitis(id: str, **kwargs) -> dict:
    """An infection that is not serious, resolved: it links a stay without counting itself."""
    return encounter_diagnosis(SNOMED, "307426000", "Acute infective cystitis", onset=days_before(33), clinical="resolved", id=id, **kwargs)


def test_a_synthea_inpatient_stay_linked_by_reason_reference_clears_29_days_after_it_ends() -> None:
    dx = synthea_id()
    stay = synthea_encounter(days_before(33), days_before(28), reasons=[f"urn:uuid:{dx}"], id=synthea_id())
    found = entry("E5.2", stay, cystitis(dx), uuid_full_urls=True)
    assert found["status"] == "met"
    assert found["clears_on"] == (days_before(28) + timedelta(days=29)).isoformat()


def test_a_stay_that_ended_29_days_ago_is_outside() -> None:
    stay = synthea_encounter(days_before(35), days_before(29), reasons=["Condition/dx-uti"])
    assert entry("E5.2", stay, cystitis("dx-uti"))["status"] == "not_met"


def test_an_epic_hospital_encounter_linked_by_its_diagnosis_counts() -> None:
    stay = epic_hospital_encounter(days_before(15), days_before(12), diagnoses=["https://ehr.example.org/fhir/Condition/dx-epic"])
    assert entry("E5.2", stay, cystitis("dx-epic"))["status"] == "met"


def test_a_stay_linked_by_the_conditions_encounter_counts() -> None:
    stay = synthea_encounter(days_before(15), days_before(12), id="enc-linked")
    assert entry("E5.2", stay, cystitis("dx-back", encounter="Encounter/enc-linked"))["status"] == "met"


def test_a_stay_with_an_infection_reason_code_counts() -> None:
    stay = synthea_encounter(days_before(15), days_before(12), reason_code=(ICD10CM, "N10", "Acute pyelonephritis"))
    assert entry("E5.2", stay)["status"] == "met"


def test_a_stay_of_an_inpatient_type_without_the_imp_class_counts() -> None:
    stay = synthea_encounter(days_before(15), days_before(12), klass="AMB", type_code=("32485007", "Hospital admission"), reasons=["Condition/dx-t"])
    assert entry("E5.2", stay, cystitis("dx-t"))["status"] == "met"


def test_a_stay_still_in_progress_has_no_clearing_date() -> None:
    stay = synthea_encounter(days_before(3), None, status="in-progress", reasons=["Condition/dx-now"])
    found = entry("E5.2", stay, cystitis("dx-now"))
    assert (found["status"], found["clears_on"]) == ("met", None)


@pytest.mark.parametrize(
    "stay",
    [
        synthea_encounter(days_before(15), days_before(12), reason_code=(SNOMED, "16114001", "Fracture of ankle")),  # no infection link
        synthea_encounter(days_before(15), days_before(12), klass="AMB", reasons=["Condition/dx-x"]),  # an outpatient visit
        synthea_encounter(days_before(15), days_before(12), status="cancelled", reasons=["Condition/dx-x"]),
    ],
)
def test_unlinked_outpatient_or_cancelled_encounters_do_not_count(stay: dict) -> None:
    assert entry("E5.2", stay, cystitis("dx-x"))["status"] == "not_met"


def test_a_parenteral_anti_infective_within_28_days_counts() -> None:
    found = entry("E5.2", im_injection(CEFTRIAXONE, days_before(5)))
    assert found["status"] == "met"
    assert found["clears_on"] == (days_before(5) + timedelta(days=29)).isoformat()


def test_oral_anti_infectives_alone_do_not_make_an_episode_major() -> None:
    oral = medication_statement(AMOXICILLIN, days_before(20), days_before(10), status="completed")
    assert entry("E5.2", oral)["status"] == "not_met"


def test_an_anti_infective_of_unknown_route_within_28_days_is_unknown() -> None:
    found = entry("E5.2", medication_statement(medication("3640", display="doxycycline"), days_before(20), days_before(10), status="completed"))
    assert found["status"] == "unknown"


def test_a_resolved_serious_infection_in_the_window_clears_29_days_after_its_end() -> None:
    sepsis = condition("snomed", "91302008", "Sepsis", onset=days_before(40), abatement=days_before(20), clinical_status="resolved")
    found = entry("E5.2", sepsis)
    assert found["status"] == "met"
    assert found["clears_on"] == (days_before(20) + timedelta(days=29)).isoformat()


def test_a_serious_infection_still_active_has_no_clearing_date() -> None:
    found = entry("E5.2", encounter_diagnosis(SNOMED, "233604007", "Pneumonia", onset=days_before(45)))
    assert (found["status"], found["clears_on"]) == ("met", None)


def test_an_open_acute_serious_infection_older_than_90_days_counts_on_its_date_only() -> None:
    old = epic_problem("J18.9", "233604007", "Pneumonia", clinical=None, onset={"onsetDateTime": days_before(100).isoformat()})
    found = entry("E5.2", old)
    assert found["status"] == "not_met"
    assert "counted on its date only" in found["reason"]
    assert entry("E5.1", old)["status"] == "unknown"


def test_an_open_acute_serious_infection_within_90_days_is_ongoing() -> None:
    recent = epic_problem("J18.9", "233604007", "Pneumonia", clinical=None, onset={"onsetDateTime": days_before(40).isoformat()})
    found = entry("E5.2", recent)
    assert (found["status"], found["clears_on"]) == ("met", None)


def test_an_infection_that_is_not_serious_is_not_a_major_episode() -> None:
    assert entry("E5.2", cystitis("dx-minor"))["status"] == "not_met"


def test_the_last_qualifying_day_of_every_part_sets_the_clearing_date() -> None:
    stay = synthea_encounter(days_before(27), days_before(20), reasons=["Condition/dx-both"])
    found = entry("E5.2", stay, cystitis("dx-both"), im_injection(CEFTRIAXONE, days_before(6)))
    assert found["clears_on"] == (AS_OF + timedelta(days=23)).isoformat()
