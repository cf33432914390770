"""The NCT03543839 trial file as a whole (criteria-nct03543839.md): criterion ids as the page
numbers them, labels, verbatim sources, the manual rows, the registry facts and their
export, and the decision for a candidate to whom each computable exclusion, or a failing
inclusion, is added. D = 2026-11-25.

The candidate (`nct03543839_records.candidate`) is a record as an EHR sends it: an Epic
problem-list SLE diagnosis, an ANA titer as valueString, Synthea-shaped MedicationRequests,
US Core lab results and vital signs. Criterion-by-criterion boundaries are in the
test_nct03543839_*.py files beside this one.
"""

from __future__ import annotations

import gzip
import importlib
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fhir_builders import AS_OF, bundle, condition, days_before, immunization, medication, medication_administration, patient
from nct03543839_records import (
    TRIAL_ID,
    candidate,
    cns_event,
    evaluate,
    hcq,
    lab,
    negative,
    nct03543839,
    order,
    positive,
    prednisone_daily,
    sle,
    synthea_lupus,
    unrelated_drug,
    weight,
)
from trial_eval import criterion

from cds.cli import main
from cds.export.files import trial_resources
from cds.pipeline import evaluate_trial
from fhir_mappings.record import PatientRecord

PAGE_IDS = [f"I{n}" for n in range(1, 12)] + ["E1", "E2", "E3.1", "E3.2"] + [f"E{n}" for n in range(4, 16)]
MANUAL = {"I9", "I11", "E3.2", "E5", "E13", "E15"}
TO_CONFIRM = ["I5", "I9", "I11", "E3.2", "E5", "E13", "E15"]


def statuses(result: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in result["criteria"]}


def after(days: int) -> str:
    return (AS_OF + timedelta(days=days)).isoformat()


# The file.

def test_criterion_ids_kinds_and_order_are_the_page_s() -> None:
    trial = nct03543839()
    assert [c.id for c in trial.criteria] == PAGE_IDS
    assert all(c.kind == ("inclusion" if c.id.startswith("I") else "exclusion") for c in trial.criteria)
    assert {c.id for c in trial.criteria if c.manual} == MANUAL


def test_labels_are_short_distinct_clinical_words() -> None:
    labels = [c.label for c in nct03543839().criteria]
    assert all(0 < len(label) <= 80 for label in labels)
    assert len(set(labels)) == len(labels)
    assert not any(label.startswith(("criterion", "I", "E")) and label[1:2].isdigit() for label in labels)


def test_every_source_is_a_sentence_of_the_copied_eligibility_text(external_data: Path) -> None:
    """Verbatim, with the registry's markdown escapes (\\> and \\<) read as the characters."""
    copy = external_data.parents[1] / "trials" / "NCT03543839.txt"  # ../shared/trials, beside the data
    text = copy.read_text(encoding="utf-8").replace("\\>", ">").replace("\\<", "<")
    for c in nct03543839().criteria:
        assert c.source in text, c.id


def test_every_open_point_of_the_page_is_written_as_a_choice() -> None:
    choices = {c.id: " ".join(c.choices).lower() for c in nct03543839().criteria}
    for cid, point in [("I7", "open point 1"), ("E15", "open point 2"), ("I5", "open point 3"), ("E1", "open point 4"),
                       ("E2", "open point 4"), ("I3", "open point 5"), ("I4", "open point 5"), ("E10", "open point 6")]:
        assert point in choices[cid], cid


def test_the_registry_facts_are_exported_as_valid_fhir() -> None:
    """trial_resources validates each resource (R4B models, R5 EvidenceVariable) as the export does."""
    resources = trial_resources(nct03543839())
    study, group, variable = resources["ResearchStudy"], resources["Group"], resources["EvidenceVariable"]
    assert (study["status"], study["phase"]["coding"][0]["code"]) == ("active", "phase-4")
    assert study["title"] == "Pilot Trial of Belimumab in Early Lupus"
    assert study["identifier"][0]["value"] == "NCT03543839"
    assert study["condition"][0]["coding"][0]["code"] == "55464009"
    assert group["quantity"] == 30
    assert [c["linkId"] for c in variable["characteristic"]] == PAGE_IDS


def test_the_fixture_builders_write_valid_fhir() -> None:
    for resource in candidate() + [synthea_lupus(), cns_event("91175000", "Seizure"), unrelated_drug()]:
        module = importlib.import_module(f"fhir.resources.R4B.{resource['resourceType'].lower()}")
        getattr(module, resource["resourceType"]).model_validate(resource)


# The decision.

def test_the_candidate_is_potentially_eligible_with_the_manual_rows_to_confirm() -> None:
    result = evaluate(*candidate())
    assert result["trial"] == TRIAL_ID
    assert result["decision"] == "potentially_eligible"
    assert result["eligible_from"] is None
    found = statuses(result)
    assert [cid for cid, s in found.items() if s == "unknown"] == TO_CONFIRM
    assert all(found[cid] == "met" for cid in ("I1", "I2", "I3", "I4", "I6", "I7", "I8", "I10"))
    assert all(s == "not_met" for cid, s in found.items() if cid.startswith("E") and cid not in TO_CONFIRM)


EXCLUDED = {
    "E1": [order(medication("105611", display="Azathioprine 50 MG Oral Tablet [Imuran]"), 4000, end=3600)],
    "E2": [medication_administration(medication("121191", display="rituximab"), "2019-02-01", dose_mg=1000)],
    "E3.1": [condition("snomed", "36402006", "Lupus nephritis - WHO Class IV", onset=days_before(40))],
    "E4": [medication_administration(medication(text="methylPREDNISolone sodium succinate 500 MG Injection"), days_before(3), dose_mg=500)],
    "E6": [lab("718-7", 7.4, "g/dL", days=1)],
    "E7": [lab("777-3", 41, "10*3/uL", days=1)],
    "E8": [lab("751-8", 0.7, "10*3/uL", days=1)],
    "E10": [lab("62238-1", 22, "mL/min/{1.73_m2}", days=1)],
    "E11": [positive("16933-4", "2026-10-01")],
    "E12": [condition("icd10cm", "B20", "HIV disease", onset="2010-01-01", clinical_status="inactive")],
    "E14": [immunization("03", days_before(5))],
}


@pytest.mark.parametrize("cid", sorted(EXCLUDED))
def test_no_candidate_while_a_computable_exclusion_holds(cid) -> None:
    result = evaluate(*candidate(), *EXCLUDED[cid])
    assert criterion(result, cid)["status"] == "met"
    assert result["decision"] == "ineligible"


def _without(records: list[dict[str, Any]], words: str) -> list[dict[str, Any]]:
    """The records whose JSON does not contain `words`."""
    return [r for r in records if words not in json.dumps(r)]


FAILING: dict[str, Callable[[list[dict[str, Any]]], list[dict[str, Any]]]] = {
    "I1": lambda r: _without(r, "55464009") + [sle(verification="refuted")],  # the SLE diagnosis was refuted
    "I2": lambda r: r + [sle("2019-03-01", clinical="inactive")],  # diagnosed in 2019
    "I3": lambda r: _without(r, "1:160") + [negative("8061-4", "2026-11-01")],  # the only ANA is negative
    "I6": lambda r: _without(r, "predniSONE") + [prednisone_daily(35, 200)],  # 35 mg/day
    "I8": lambda r: _without(r, "Hydroxychloroquine") + [hcq(400, end=40)],  # stopped 40 days ago
    "I10": lambda r: r + [positive("2106-3", days_before(3))],  # a positive urine hCG 3 days ago
}


@pytest.mark.parametrize("cid", sorted(FAILING))
def test_a_failing_inclusion_makes_the_candidate_ineligible(cid) -> None:
    result = evaluate(*FAILING[cid](candidate()))
    assert criterion(result, cid)["status"] == "not_met"
    assert result["decision"] == "ineligible"


def test_a_live_vaccine_makes_the_candidate_eligible_when_it_clears() -> None:
    result = evaluate(*candidate(), immunization("21", days_before(10)))
    assert result["decision"] == "ineligible"
    assert result["eligible_from"] == after(21)


def test_a_steroid_taper_makes_the_candidate_eligible_when_both_rules_clear() -> None:
    """Prednisone 40 mg/day until D - 8 (0.65 mg/kg at 62 kg), then 5 mg/day: E4 clears on
    D - 8 + 29, I6 on D - 7 + 28; the candidate may join from the later."""
    records = [r for r in candidate() if "predniSONE" not in json.dumps(r)]
    result = evaluate(*records, prednisone_daily(40, 90, end=8), prednisone_daily(5, 7))
    assert statuses(result)["E4"] == "met" and statuses(result)["I6"] == "not_met"
    assert (criterion(result, "E4")["clears_on"], criterion(result, "I6")["clears_on"]) == (after(21), after(21))
    assert result["eligible_from"] == after(21)


def test_liver_tests_above_2_5_uln_leave_the_candidate_to_confirm() -> None:
    result = evaluate(*candidate(), lab("1742-6", 180, "U/L", days=1))
    assert criterion(result, "E9")["status"] == "unknown"
    assert result["decision"] == "potentially_eligible"


def test_a_cns_event_not_coded_as_lupus_leaves_the_candidate_to_confirm() -> None:
    result = evaluate(*candidate(), cns_event("91175000", "Seizure"))
    assert criterion(result, "E3.1")["status"] == "unknown"
    assert result["decision"] == "potentially_eligible"


def test_a_deceased_candidate_is_not_a_candidate() -> None:
    records = [r for r in candidate() if r["resourceType"] != "Patient"]
    dead = patient("1990-03-10", "female") | {"deceasedDateTime": "2026-10-01"}
    result = evaluate(dead, *records)
    assert (result["decision"], result["not_candidate_reason"], result["eligible_from"]) == ("ineligible", "deceased", None)


def test_the_cli_prints_this_trial_s_evaluation(tmp_path: Path) -> None:
    records = candidate()
    path = tmp_path / "candidate.json"
    path.write_text(json.dumps(bundle(*records)), encoding="utf-8")
    run = CliRunner().invoke(main, ["evaluate", str(path), "--trial", TRIAL_ID, "--as-of", AS_OF.isoformat(), "--format", "json"])
    assert run.exit_code == 0, run.stderr
    assert json.loads(run.stdout) == evaluate(*records)
    text = CliRunner().invoke(main, ["evaluate", str(path), "--trial", TRIAL_ID, "--as-of", AS_OF.isoformat()])
    assert text.stdout.startswith("NCT03543839 (belimumab, early SLE): potentially eligible for Patient/p1 as of 2026-11-25\n")


def test_more_medication_records_do_not_change_a_decided_row() -> None:
    """An unrelated drug (lisinopril) changes nothing; with no medication at all I8 is unknown (G17)."""
    base = statuses(evaluate(*candidate()))
    assert statuses(evaluate(*candidate(), unrelated_drug())) == base
    no_drugs = [r for r in candidate() if r["resourceType"] != "MedicationRequest"]
    assert statuses(evaluate(*no_drugs, weight(62)))["I8"] == "unknown"


# The public generated lupus patients (../shared/data/external/pysynthea-lupus-forced).

def _synthea_lupus_patients(external: Path) -> list[tuple[str, dict[str, Any]]]:
    """(file, evaluation JSON) for each generated lupus patient of the manifest."""
    folder = external / "pysynthea-lupus-forced"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    found = []
    for item in (f for f in manifest["files"] if f["role"] == "lupus"):
        with gzip.open(folder / item["file"], "rb") as fh:
            record = PatientRecord.from_bundle(json.loads(fh.read()))
        found.append((item["file"], evaluate_trial(record, nct03543839(), AS_OF).to_json()))
    return found


def test_synthea_lupus_is_a_diagnosis_to_confirm_and_its_cyclosporine_excludes(external_data: Path) -> None:
    """Synthea codes lupus as SNOMED CT 200936003 (not 'systemic'): I1 and I2 are unknown,
    naming it. Its lupus module prescribes oral cycloSPORINE (RxNorm 241834): ever taken,
    it is a prior disease-modifying drug (E1 met, no clears_on)."""
    patients = _synthea_lupus_patients(external_data)
    assert len(patients) == 16
    excluded = 0
    for name, result in patients:
        for cid in ("I1", "I2"):
            entry = criterion(result, cid)
            assert entry["status"] == "unknown", (name, cid)
            assert "http://snomed.info/sct|200936003" in {e["code"] for e in entry["evidence"]}, (name, cid)
        e1 = criterion(result, "E1")
        if e1["status"] == "met":
            excluded += 1
            assert "cyclosporine" in e1["reason"] and e1["clears_on"] is None, name
            assert result["decision"] == "ineligible", name
    assert excluded >= 10
