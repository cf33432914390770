"""BLISS-76 (NCT00410384) as a whole: the trial file says what the page and the registry
text say, the decision and `eligible_from` follow the ground rules, and no patient with a
computable exclusion met is ever potentially eligible.

The candidate (nct00410384_records.candidate) is a US Core / Synthea-shaped SLE patient
for whom every computable criterion passes; each test adds the one record it is about.
"""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import combinations

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir_builders import condition, days_before, medication, medication_request, observation, patient
from nct00410384_records import (
    CANDIDATE_TO_CONFIRM,
    IV,
    POSITIVE,
    administration,
    bliss76,
    candidate,
    result_of,
    sledai,
    statement_of_text,
    synthea_request,
    upcr,
)
from trial_eval import criterion
from trial_files import SHIPPED

from cds.trials.loader import TRIALS_DIR
from tests.conftest import SHARED_DIR

PAGE_IDS = ["I1", "I2", "I3", "I4", "I5", "E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8", "E9"]
REGISTRY_TEXT = SHARED_DIR / "trials" / "NCT00410384.txt"


def with_(*extra: dict) -> list[dict]:
    return [*candidate(), *extra]


# --- the trial file --------------------------------------------------------------------------------


def test_the_criteria_are_the_pages_ids_in_order_with_their_kinds() -> None:
    trial = bliss76()
    assert [c.id for c in trial.criteria] == PAGE_IDS
    assert {c.id: c.kind for c in trial.criteria} == {i: "inclusion" if i.startswith("I") else "exclusion" for i in PAGE_IDS}
    assert trial.nct_id == "NCT00410384" and trial.id != SHIPPED.stem


def test_each_label_is_short_and_each_source_is_the_registry_sentence_verbatim() -> None:
    text = REGISTRY_TEXT.read_text(encoding="utf-8")
    bullets = [line.strip().removeprefix("•").strip() for line in text.splitlines() if line.strip().startswith("•")]
    by_id = {c.id: c for c in bliss76().criteria}
    for cid in PAGE_IDS[:4] + PAGE_IDS[5:]:
        assert by_id[cid].source in bullets, cid
    assert by_id["I5"].source == "Ages: 18+" and "Ages: 18+ years old" in text  # the structured field, as the page quotes it
    for c in by_id.values():
        assert 0 < len(c.label) <= 80 and c.statement


def test_the_study_block_gives_the_registry_facts_with_their_source() -> None:
    study = bliss76().study
    assert (study.status, study.phase, study.enrollment) == ("completed", "phase-3", 819)
    assert [c.code for c in study.conditions] == ["55464009"]
    assert "Human Genome Sciences" in bliss76().sponsor and "GlaxoSmithKline" in bliss76().sponsor
    assert "criteria-nct00410384.md" in study.source and "NCT00410384.txt" in study.source


def test_the_file_ships_beside_the_first_trial() -> None:
    assert (TRIALS_DIR / "nct00410384.yaml").is_file()


# --- the decision ----------------------------------------------------------------------------------


def test_the_candidate_is_potentially_eligible_with_only_the_manual_points_to_confirm() -> None:
    result = result_of(*candidate())
    assert result["decision"] == "potentially_eligible" and result["eligible_from"] is None
    assert [c["id"] for c in result["criteria"] if c["status"] == "unknown"] == CANDIDATE_TO_CONFIRM
    assert all(c["status"] == "met" for c in result["criteria"] if c["id"] in ("I1", "I3", "I4", "I5"))


EXCLUDING = {
    "E1": condition("snomed", "77386006", onset=days_before(40)),
    "E2": medication_request(medication("121191", display="rituximab"), "2012-01-01", status="completed"),
    "E3": statement_of_text("sifalimumab (study drug)", days_before(200), days_before(150)),
    "E4": synthea_request("1734919", "Cyclophosphamide 1000 MG Injection", days_before(100)),
    "E5": observation("2160-0", 3.4, "mg/dL", on=days_before(2)),
    "E6": condition("snomed", "95644001", onset="2025-03-01"),
    "E7": administration(medication("2193", display="ceftriaxone"), days_before(20), route=IV, dose_mg=1000),
    "E8": condition("icd10cm", "F10.20", onset="2024-05-01"),
    "E9": observation("7917-8", value_code=POSITIVE, on="2009-02-01"),
}


@pytest.mark.parametrize("cid", sorted(EXCLUDING))
def test_each_computable_exclusion_makes_the_candidate_ineligible(cid: str) -> None:
    result = result_of(*with_(EXCLUDING[cid]))
    assert criterion(result, cid)["status"] == "met"
    assert result["decision"] == "ineligible"


@pytest.mark.parametrize("pair", list(combinations(sorted(EXCLUDING), 2)))
def test_no_two_exclusions_together_ever_leave_a_candidate(pair) -> None:
    result = result_of(*with_(*(EXCLUDING[cid] for cid in pair)))
    met = {c["id"] for c in result["criteria"] if c["kind"] == "exclusion" and c["status"] == "met"}
    assert set(pair) <= met
    assert result["decision"] == "ineligible"


def test_washouts_alone_give_the_date_the_last_one_clears() -> None:
    result = result_of(*with_(EXCLUDING["E4"], EXCLUDING["E3"]))
    e3, e4 = criterion(result, "E3"), criterion(result, "E4")
    assert result["decision"] == "ineligible"
    assert e4["clears_on"] == (days_before(100) + timedelta(days=181)).isoformat()
    assert result["eligible_from"] == max(e3["clears_on"], e4["clears_on"])


def test_an_investigational_anti_cd22_is_also_b_cell_therapy_ever() -> None:
    """Epratuzumab is on both lists: E3 clears a year on, E2 never does."""
    result = result_of(*with_(statement_of_text("epratuzumab (study drug)", days_before(200), days_before(150))))
    assert (criterion(result, "E2")["status"], criterion(result, "E3")["status"]) == ("met", "met")
    assert result["eligible_from"] is None


def test_an_exclusion_with_no_limit_leaves_no_date() -> None:
    result = result_of(*with_(EXCLUDING["E4"], EXCLUDING["E2"]))
    assert result["decision"] == "ineligible" and result["eligible_from"] is None


def test_a_regimen_started_less_than_30_days_ago_gives_a_date() -> None:
    started = days_before(10)
    records = [r for r in candidate() if r["resourceType"] != "MedicationRequest"]
    hcq = medication_request(medication("979092", display="Hydroxychloroquine Sulfate 200 MG Oral Tablet"), started)
    result = result_of(*records, hcq)
    assert criterion(result, "I4")["status"] == "not_met"
    assert result["decision"] == "ineligible" and result["eligible_from"] == (started + timedelta(days=30)).isoformat()


def test_a_minor_is_ineligible() -> None:
    records = [r for r in candidate() if r["resourceType"] != "Patient"]
    result = result_of(*records, patient(birth_date=days_before(365 * 17)))
    assert criterion(result, "I5")["status"] == "not_met" and result["decision"] == "ineligible"


def test_a_deceased_candidate_is_ineligible_with_the_reason() -> None:
    dead = patient(birth_date="1988-04-02") | {"deceasedDateTime": "2026-03-02T10:00:00Z"}
    result = result_of(*[r for r in candidate() if r["resourceType"] != "Patient"], dead)
    assert result["decision"] == "ineligible" and result["not_candidate_reason"] == "deceased"
    assert result["eligible_from"] is None


def test_every_reason_is_one_line() -> None:
    for entry in result_of(*with_(*EXCLUDING.values()))["criteria"]:
        assert entry["reason"] and not re.search(r"[\r\n]", entry["reason"])


def test_the_fixtures_of_these_tests_are_valid_fhir_r4() -> None:
    """The trial's own builders, and the candidate, parse with the fhir.resources R4B models."""
    built = [
        *candidate(),
        *EXCLUDING.values(),
        administration(medication("3002", display="cyclophosphamide"), days_before(3), route=IV, dose_mg=750),
        administration(medication("3002", display="cyclophosphamide"), days_before(3), route=None),
        upcr("2890-2", 6100, "mg/g", days_before(10)),
        upcr("2890-2", 3, None, days_before(10)),
        sledai(6, 10),
    ]
    for resource in built:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
