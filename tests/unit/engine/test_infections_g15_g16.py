"""Portfolio G15 (acute infections are time-limited) and G16 (infection conditions,
presence in a window, hospitalisation for infection through Encounters).

Conditions are shaped like Synthea's encounter diagnoses (SNOMED CT, onsetDateTime, an
`encounter` reference as a `urn:uuid:` fullUrl) and like problem lists with no
clinicalStatus (some Cerner feeds); Encounters like Synthea's (class IMP,
reasonReference) and Epic's hospital encounter sample (class under the v3 ActCode
OID, diagnosis.condition, a contained Condition).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fhir_builders import ICD10CM, SNOMED, condition, days_before
from kind_trials import KindProbe
from ehr_shapes import diagnosis, epic_hospital_encounter, synthea_encounter

from cds.trials.loader import TrialDefinitionError

ACTIVE_INFECTION = {
    "condition": {
        "valuesets": ["infection_any"], "label": "infection", "status": "active",
        "acute_within_days": 90, "chronic_valuesets": ["infection_chronic"],
    }
}
SERIOUS_IN_28_DAYS = {
    "condition": {
        "valuesets": ["infection_serious"], "label": "serious infection", "within_days": 28,
        "acute_within_days": 90, "chronic_valuesets": ["infection_chronic"],
    }
}
HOSPITALISED_28 = {
    "hospitalisation": {
        "label": "hospitalisation for infection", "within_days": 28,
        "encounter_valuesets": ["inpatient_encounter_class", "inpatient_encounter_type"],
        "reason_valuesets": ["infection_any"],
    }
}
PNEUMONIA = ("snomed", "233604007", "Pneumonia")


@pytest.fixture
def active(tmp_path) -> KindProbe:
    return KindProbe(tmp_path, ACTIVE_INFECTION)


# --- G15 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "status"), [(90, "met"), (91, "unknown"), (0, "met")])
def test_an_acute_infection_without_status_or_end_is_active_for_90_days(active, days, status) -> None:
    entry = active(condition(*PNEUMONIA, onset=days_before(days), clinical_status=None))
    assert entry["status"] == status
    if status == "unknown":
        assert "no status or end" in entry["reason"] and "confirm resolved" in entry["reason"]


def test_an_explicitly_active_acute_infection_counts_whatever_its_age(active) -> None:
    assert active(condition(*PNEUMONIA, onset="2019-01-01", clinical_status="active"))["status"] == "met"


def test_a_chronic_infection_without_status_counts_whatever_its_age(active) -> None:
    assert active(condition("icd10cm", "B18.1", onset="2012-01-01", clinical_status=None))["status"] == "met"
    assert active(condition("snomed", "86406008", onset="2012-01-01", clinical_status=None))["status"] == "met"


def test_an_acute_infection_with_no_date_and_no_status_is_unknown(active) -> None:
    assert active(condition(*PNEUMONIA, clinical_status=None))["status"] == "unknown"


def test_a_resolved_or_abated_infection_is_not_active(active) -> None:
    assert active(condition(*PNEUMONIA, onset=days_before(20), clinical_status="resolved"))["status"] == "not_met"
    assert active(condition(*PNEUMONIA, onset=days_before(200), abatement=days_before(180), clinical_status=None))["status"] == "not_met"


@pytest.mark.parametrize("code", ["Z22.7", "R76.11", "R76.12"])
def test_latent_tuberculosis_is_never_an_infection(active, code) -> None:
    assert active(condition("icd10cm", code, onset=days_before(5)))["status"] == "not_met"


def test_superficial_mycoses_are_a_tier_of_their_own(tmp_path, active) -> None:
    """INFECTION-ANY leaves out B35-B36; a part may make them unknown (the shape of NCT04221477 E5.1)."""
    nail_fungus = condition("icd10cm", "B35.1", onset="2024-03-01")
    assert active(nail_fungus)["status"] == "not_met"
    logic = {"any": [ACTIVE_INFECTION, {"unknown_if": {"reason": "only a superficial mycosis: confirm whether the sponsor counts it",
             "part": {"condition": {"valuesets": ["superficial_mycosis"], "label": "superficial mycosis", "status": "active"}}}}]}
    assert KindProbe(tmp_path, logic)(nail_fungus)["status"] == "unknown"


# --- G16: present in a window -----------------------------------------------------------------


def test_a_serious_infection_present_in_the_window(tmp_path) -> None:
    probe = KindProbe(tmp_path, SERIOUS_IN_28_DAYS)
    ended = condition("icd10cm", "A41.9", onset=days_before(40), abatement=days_before(28), clinical_status="resolved")
    entry = probe(ended)
    assert entry["status"] == "met"
    assert entry["clears_on"] == (days_before(28) + timedelta(days=29)).isoformat()
    assert probe(condition("icd10cm", "A41.9", onset=days_before(40), abatement=days_before(29), clinical_status="resolved"))["status"] == "not_met"
    ongoing = probe(condition("icd10cm", "A41.9", onset=days_before(40)))
    assert ongoing["status"] == "met" and ongoing["clears_on"] is None


def test_an_old_acute_entry_without_status_is_present_on_its_date_only(tmp_path) -> None:
    probe = KindProbe(tmp_path, SERIOUS_IN_28_DAYS)
    entry = probe(condition("icd10cm", "J15.9", onset=days_before(120), clinical_status=None))
    assert entry["status"] == "not_met"
    assert "counted on its date only" in entry["reason"]
    recent = probe(condition("icd10cm", "J15.9", onset=days_before(20), clinical_status=None))
    assert recent["status"] == "met" and recent["clears_on"] is None  # within 90 days: active, ongoing


def test_a_non_serious_infection_is_not_serious(tmp_path) -> None:
    assert KindProbe(tmp_path, SERIOUS_IN_28_DAYS)(condition("icd10cm", "J06.9", onset=days_before(3)))["status"] == "not_met"


# --- G16: hospitalisation for infection ------------------------------------------------------------


@pytest.fixture
def hospitalised(tmp_path) -> KindProbe:
    return KindProbe(tmp_path, HOSPITALISED_28)


def test_a_stay_linked_by_reason_reference_as_synthea_writes_it(hospitalised) -> None:
    pneumonia = diagnosis(SNOMED, "233604007", "Pneumonia", onset=days_before(20), id="dx-pneumonia")
    stay = synthea_encounter(days_before(20), days_before(15), reasons=["urn:uuid:dx-pneumonia"])
    entry = hospitalised(stay, pneumonia, uuid_full_urls=True)
    assert entry["status"] == "met"
    assert entry["clears_on"] == (days_before(15) + timedelta(days=29)).isoformat()
    assert entry["evidence"][0]["reference"] == f"Encounter/{stay['id']}"


def test_a_stay_linked_by_the_condition_recorded_in_it(hospitalised) -> None:
    stay = synthea_encounter(days_before(10), days_before(6), id="enc-stay")
    sepsis = diagnosis(ICD10CM, "A41.9", "Sepsis, unspecified organism", onset=days_before(10), encounter="Encounter/enc-stay")
    assert hospitalised(stay, sepsis)["status"] == "met"
    by_fullurl = diagnosis(ICD10CM, "A41.9", "Sepsis, unspecified organism", onset=days_before(10), encounter="urn:uuid:enc-stay")
    assert hospitalised(stay, by_fullurl, uuid_full_urls=True)["status"] == "met"


def test_a_stay_linked_by_reason_code(hospitalised) -> None:
    stay = synthea_encounter(days_before(10), days_before(8), reason_code=(SNOMED, "233604007", "Pneumonia"))
    assert hospitalised(stay)["status"] == "met"


def test_a_stay_linked_by_a_diagnosis_in_any_reference_form(hospitalised) -> None:
    """Epic: diagnosis.condition as an absolute URL, or `#id` to a contained Condition."""
    cellulitis = diagnosis(ICD10CM, "L03.115", "Cellulitis of right lower limb", onset=days_before(12), id="dx-cell")
    absolute = epic_hospital_encounter(days_before(12), days_before(9), diagnoses=["https://fhir.epic.example/api/FHIR/R4/Condition/dx-cell"])
    assert hospitalised(absolute, cellulitis)["status"] == "met"
    contained = diagnosis(ICD10CM, "N10", "Acute pyelonephritis", id="c1")
    inline = epic_hospital_encounter(days_before(12), days_before(9), diagnoses=["#c1"], contained=[contained])
    assert hospitalised(inline)["status"] == "met"


def test_an_inpatient_stay_without_an_infection_link_does_not_count(hospitalised) -> None:
    fracture = diagnosis(SNOMED, "263225007", "Fracture of neck of femur", onset=days_before(10), id="dx-fracture")
    stay = synthea_encounter(days_before(10), days_before(5), reasons=["Condition/dx-fracture"])
    assert hospitalised(stay, fracture)["status"] == "not_met"
    assert hospitalised(synthea_encounter(days_before(10), days_before(5)))["status"] == "not_met"


def test_an_ambulatory_or_emergency_visit_is_no_hospitalisation(hospitalised) -> None:
    visit = synthea_encounter(days_before(10), days_before(10), klass="AMB", type_code=("185347001", "Encounter for problem"),
                              reason_code=(SNOMED, "233604007", "Pneumonia"))
    assert hospitalised(visit)["status"] == "not_met"
    er = synthea_encounter(days_before(10), days_before(10), klass="EMER", type_code=("50849002", "Emergency room admission"),
                           reason_code=(SNOMED, "233604007", "Pneumonia"))
    assert hospitalised(er)["status"] == "not_met"


def test_an_inpatient_type_counts_whatever_the_class(hospitalised) -> None:
    stay = synthea_encounter(days_before(10), days_before(7), klass="EMER", type_code=("183452005", "Emergency hospital admission"),
                             reason_code=(SNOMED, "233604007", "Pneumonia"))
    assert hospitalised(stay)["status"] == "met"


@pytest.mark.parametrize("status", ["cancelled", "entered-in-error"])
def test_cancelled_stays_do_not_count(hospitalised, status) -> None:
    stay = synthea_encounter(days_before(10), days_before(7), status=status, reason_code=(SNOMED, "233604007", "Pneumonia"))
    assert hospitalised(stay)["status"] == "not_met"


@pytest.mark.parametrize(
    ("start", "end", "status", "expected"),
    [
        (days_before(29), days_before(28), "finished", "met"),  # its last day is the window's first
        (days_before(30), days_before(29), "finished", "not_met"),
        (days_before(60), None, "in-progress", "met"),  # no end and in progress: runs to D
        (days_before(60), None, "finished", "not_met"),  # no end, not in progress: its start day only
        (days_before(28), None, "finished", "met"),
    ],
)
def test_the_stay_period_and_the_window(hospitalised, start, end, status, expected) -> None:
    stay = synthea_encounter(start, end, status=status, reason_code=(SNOMED, "233604007", "Pneumonia"))
    entry = hospitalised(stay)
    assert entry["status"] == expected
    if status == "in-progress":
        assert entry["clears_on"] is None


def test_a_stay_without_a_period_is_unknown(hospitalised) -> None:
    stay = synthea_encounter(days_before(10), days_before(8), reason_code=(SNOMED, "233604007", "Pneumonia"))
    del stay["period"]
    assert hospitalised(stay)["status"] == "unknown"


def test_a_refuted_linked_condition_is_no_link(hospitalised) -> None:
    refuted = diagnosis(SNOMED, "233604007", "Pneumonia", onset=days_before(20), id="dx-refuted")
    refuted["verificationStatus"]["coding"][0]["code"] = "refuted"
    stay = synthea_encounter(days_before(20), days_before(15), reasons=["Condition/dx-refuted"])
    assert hospitalised(stay, refuted)["status"] == "not_met"


def test_a_hospitalisation_needs_a_window(tmp_path) -> None:
    without = {"hospitalisation": {**HOSPITALISED_28["hospitalisation"]}}
    del without["hospitalisation"]["within_days"]
    with pytest.raises(TrialDefinitionError, match="needs a window"):
        KindProbe(tmp_path, without)
