"""NCT04221477 (REGENCY) as a whole: the trial file says what the page says (criterion ids,
kinds, verbatim source sentences, the study facts), the manual items stay unknown, a
candidate is potentially eligible with the right items to confirm, and any one
computable exclusion (or an unmet inclusion) makes the patient ineligible.

The candidate (regency_patients.candidate) is an Epic problem-list class IV lupus
nephritis with a US Core Procedure biopsy and US Core lab results; each test adds one
record, shaped as the public example it names.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from ehr_shapes import epic_problem, synthea_encounter
from ehr_shapes import diagnosis as encounter_diagnosis
from fhir_builders import SNOMED, allergy, condition, days_before, medication, medication_statement, observation, patient, procedure
from regency_patients import candidate, evaluation, infusion, ln_class, regency, upcr_24h

from cds.export.evidence_variable import evidence_variable

PAGE_IDS = ["I1.1", "I1.2", "I2", "I3", "E1", "E2.1", "E2.2", "E2.3", "E3.1", "E3.2", "E4", "E5.1", "E5.2", "E6", "E7"]


def _statuses(result: dict) -> dict[str, str]:
    return {c["id"]: c["status"] for c in result["criteria"]}


def test_criterion_ids_and_kinds_are_the_pages() -> None:
    trial = regency()
    assert [c.id for c in trial.criteria] == PAGE_IDS
    assert [c.kind for c in trial.criteria] == ["inclusion"] * 4 + ["exclusion"] * 11


def test_every_source_sentence_is_verbatim_from_the_eligibility_text(external_data: Path) -> None:
    text = (external_data.parents[1] / "trials" / "NCT04221477.txt").read_text(encoding="utf-8")
    for criterion in regency().criteria:
        assert criterion.source in text, criterion.id


def test_labels_are_distinct_and_short() -> None:
    labels = [c.label for c in regency().criteria]
    assert len(set(labels)) == len(labels)
    assert all(len(label) <= 80 for label in labels)


def test_the_study_facts_come_from_the_page_header() -> None:
    trial = regency()
    assert (trial.nct_id, trial.study.phase, trial.study.enrollment, trial.study.status) == ("NCT04221477", "phase-3", 271, None)
    assert {c.code for c in trial.study.conditions} == {"76521009", "36402006"}
    assert "Hoffmann-La Roche" in trial.sponsor


def test_only_the_other_criteria_and_the_investigators_opinion_are_manual() -> None:
    result = evaluation(*candidate())
    manual = {c["id"] for c in result["criteria"] if c["manual"]}
    assert manual == {"I3", "E4", "E7"}
    for cid in manual:
        assert _statuses(result)[cid] == "unknown"
    reasons = {c["id"]: c["reason"] for c in result["criteria"]}
    assert "the remaining protocol criteria" in reasons["I3"] and "the remaining protocol criteria" in reasons["E7"]


def test_the_candidate_is_potentially_eligible_with_the_judgements_to_confirm() -> None:
    result = evaluation(*candidate())
    assert result["decision"] == "potentially_eligible"
    assert [c["id"] for c in result["criteria"] if c["status"] == "unknown"] == ["I3", "E4", "E6", "E7"]
    assert result["eligible_from"] is None


@pytest.mark.parametrize(
    ("cid", "record"),
    [
        ("E1", condition("snomed", "72892002", "Normal pregnancy", onset=days_before(60))),  # Synthea pregnancy module
        ("E1", observation("2106-3", value_code=("snomed", "10828004", "Positive"), on=days_before(1))),
        ("E2.1", observation("33914-3", 24, "mL/min", on=days_before(1))),  # Synthea's eGFR, newer than the candidate's
        ("E2.2", epic_problem("Z99.2", None, "Dependence on renal dialysis")),
        ("E2.3", condition("icd10cm", "Z94.0", onset="2014-02-01", clinical_status="inactive")),
        ("E3.1", infusion(medication("121191", display="rituximab"), days_before(120))),
        ("E3.2", medication_statement(medication("198377", display="tacrolimus 1 MG Oral Capsule"), days_before(400))),
        ("E5.1", encounter_diagnosis(SNOMED, "307426000", "Acute infective cystitis", onset=days_before(6))),
        ("E5.2", condition("snomed", "91302008", "Sepsis", onset=days_before(40), abatement=days_before(25), clinical_status="resolved")),
        ("E6", allergy(medication("68149", display="mycophenolate mofetil"))),
    ],
)
def test_any_computable_exclusion_makes_the_candidate_ineligible(cid: str, record: dict) -> None:
    result = evaluation(*candidate(), record)
    blocking = [c["id"] for c in result["criteria"] if c["kind"] == "exclusion" and c["status"] == "met"]
    assert blocking == [cid]
    assert result["decision"] == "ineligible"


def test_only_time_limited_exclusions_give_an_eligible_from_date() -> None:
    washout = evaluation(*candidate(), infusion(medication("121191", display="rituximab"), date(2026, 4, 1)))
    assert (washout["decision"], washout["eligible_from"]) == ("ineligible", "2027-01-01")
    with_dialysis = evaluation(*candidate(), infusion(medication("121191", display="rituximab"), date(2026, 4, 1)),
                               epic_problem("Z99.2", None, "Dependence on renal dialysis"))
    assert (with_dialysis["decision"], with_dialysis["eligible_from"]) == ("ineligible", None)


def test_a_hospitalisation_for_infection_blocks_until_it_clears() -> None:
    stay = synthea_encounter(days_before(20), days_before(16), reason_code=("http://hl7.org/fhir/sid/icd-10-cm", "N10", "Acute pyelonephritis"))
    result = evaluation(*candidate(), stay)
    assert _statuses(result)["E5.2"] == "met"
    assert result["eligible_from"] == "2026-12-08"  # last day 2026-11-09 + 28 days + 1


@pytest.mark.parametrize(
    ("cid", "change"),
    [
        ("I1.1", lambda records: [r for r in records if r["resourceType"] != "Condition"] + [ln_class("52042003", days_before(10))]),
        ("I1.2", lambda records: [r for r in records if r["resourceType"] not in ("Procedure", "Condition")]
         + [procedure("snomed", "7246002", "2025-08-20"), ln_class("36402006", "2025-09-01")]),
        ("I2", lambda records: records + [upcr_24h(0.8, "mg/mg", days_before(2))]),
    ],
)
def test_an_unmet_inclusion_makes_the_candidate_ineligible(cid: str, change) -> None:
    result = evaluation(*change(candidate()))
    assert _statuses(result)[cid] == "not_met"
    assert result["decision"] == "ineligible"


def test_the_class_iv_candidate_without_a_biopsy_record_is_a_candidate_to_confirm() -> None:
    records = [r for r in candidate() if r["resourceType"] != "Procedure"]
    result = evaluation(*records)
    assert _statuses(result)["I1.2"] == "unknown"
    assert result["decision"] == "potentially_eligible"


def test_a_deceased_candidate_is_never_a_candidate() -> None:
    records = [r for r in candidate() if r["resourceType"] != "Patient"]
    dead = patient(birth_date="1985-06-15", gender="female")
    dead["deceasedDateTime"] = days_before(2).isoformat()
    result = evaluation(dead, *records)
    assert (result["decision"], result["not_candidate_reason"], result["eligible_from"]) == ("ineligible", "deceased", None)


def test_the_export_states_the_narrowed_tier_and_the_reason_note() -> None:
    characteristics = {c["linkId"]: c for c in evidence_variable(regency())["characteristic"]}

    def notes(node: dict) -> list[str]:
        found = [n["text"] for n in node.get("note", [])]
        for part in node.get("definitionByCombination", {}).get("characteristic", []):
            found += notes(part)
        return found

    assert any("counts only when surely met" in n for n in notes(characteristics["I1.2"]))
    assert any(n == "when not met, the reason adds: a screening pregnancy test is still required" for n in notes(characteristics["E1"]))
