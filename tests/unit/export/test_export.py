"""`trialcds export`: every configured trial as a FHIR R4 ResearchStudy with its enrollment
Group and an R5 EvidenceVariable of its criteria, each valid FHIR and faithful to the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fhir.resources.evidencevariable import EvidenceVariable
from fhir.resources.R4B.group import Group
from fhir.resources.R4B.researchstudy import ResearchStudy
from trial_files import trial_file_variant

from cds.cli import main
from cds.trials.loader import load_trials

UCUM = "http://unitsofmeasure.org"
MODELS = {"ResearchStudy.json": ResearchStudy, "Group.json": Group, "EvidenceVariable.json": EvidenceVariable}


def _export(out: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["export", "--out", str(out), *args])


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export")
    run = _export(out, "--trial", "all")
    assert run.exit_code == 0, run.stderr
    return out


def _read(exported: Path, trial: str, name: str) -> dict[str, Any]:
    return json.loads((exported / trial / name).read_text(encoding="utf-8"))


def _criterion(exported: Path, cid: str) -> dict[str, Any]:
    evidence = _read(exported, "nct05247203", "EvidenceVariable.json")
    return next(c for c in evidence["characteristic"] if c["linkId"] == cid)


def _notes(characteristic: dict[str, Any]) -> list[str]:
    return [note["text"] for note in characteristic.get("note", [])]


def test_every_configured_trial_exports_valid_fhir(exported: Path) -> None:
    trials = load_trials()
    assert sorted(p.name for p in exported.iterdir()) == sorted(trials) == ["nct00410384", "nct03543839", "nct04221477", "nct05247203"]
    for trial in trials.values():
        for name, model in MODELS.items():
            resource = _read(exported, trial.id, name)
            model.model_validate(resource)
            assert resource["identifier"] == [{"use": "official", "system": "https://clinicaltrials.gov", "value": trial.nct_id}]


def test_every_criterion_is_one_characteristic_with_its_id_sentence_and_kind(exported: Path) -> None:
    for trial in load_trials().values():
        evidence = _read(exported, trial.id, "EvidenceVariable.json")
        assert [(c["linkId"], c["description"], c["exclude"]) for c in evidence["characteristic"]] == [
            (c.id, c.source, c.kind == "exclusion") for c in trial.criteria
        ]


def test_the_study_carries_title_sponsor_condition_and_every_criterion_sentence(exported: Path) -> None:
    study = _read(exported, "nct05247203", "ResearchStudy.json")
    trial = load_trials()["nct05247203"]
    assert study["title"] == "Telitacicept Study in Chinese Subjects With SLE"
    assert study["sponsor"] == {"display": "RemeGen Co., Ltd."}
    assert study["condition"] == [{"coding": [{"system": "http://snomed.info/sct", "code": "55464009",
                                               "display": "Systemic lupus erythematosus"}],
                                   "text": "Systemic lupus erythematosus"}]
    assert all(f"- **{c.id}** {c.source}" in study["description"] for c in trial.criteria)
    assert study["enrollment"][0]["reference"] == "Group/nct05247203-enrollment"
    assert study["relatedArtifact"][0]["url"] == "https://clinicaltrials.gov/study/NCT05247203"


def test_a_status_the_file_does_not_give_is_sent_as_unknown(exported: Path) -> None:
    study = _read(exported, "nct05247203", "ResearchStudy.json")
    assert "status" not in study
    assert study["_status"] == {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                                               "valueCode": "unknown"}]}


def test_the_group_states_what_r4_can_and_the_study_says_which(exported: Path) -> None:
    group = _read(exported, "nct05247203", "Group.json")
    assert (group["type"], group["actual"]) == ("person", False)
    assert "quantity" not in group  # no enrolment figure in the sources
    age = next(c for c in group["characteristic"] if c["id"] == "I2")
    assert age["code"]["coding"] == [{"system": "http://loinc.org", "code": "30525-0", "display": "Age"}]
    assert age["valueRange"] == {"low": {"value": 18, "unit": "years", "system": UCUM, "code": "a"},
                                 "high": {"value": 65, "unit": "years", "system": UCUM, "code": "a"}}
    assert age["exclude"] is False
    # A threshold with a look-back window has no R4 form: not in the Group.
    assert not any(c["id"].startswith("E3.4") for c in group["characteristic"])
    note = _read(exported, "nct05247203", "ResearchStudy.json")["note"][0]["text"]
    carried = ", ".join(dict.fromkeys(c["id"].split("-")[0] for c in group["characteristic"]))
    assert f"conditions every eligible patient meets: {carried} (" in note


def test_a_lab_threshold_is_a_quantity_on_the_analyte_within_its_window(exported: Path) -> None:
    e34 = _criterion(exported, "E3.4")
    definition = e34["definitionByTypeAndValue"]
    assert {"system": "http://loinc.org", "code": "718-7"} in [
        {k: c[k] for k in ("system", "code")} for c in definition["type"]["coding"]
    ]
    assert definition["valueQuantity"] == {"value": 85, "comparator": "<", "unit": "g/L", "system": UCUM, "code": "g/L"}
    (window,) = e34["timeFromEvent"]
    assert window["range"] == {"low": {"value": -90, "unit": "days", "system": UCUM, "code": "d"},
                               "high": {"value": 0, "unit": "days", "system": UCUM, "code": "d"}}
    assert "E3.4: Hemoglobin below 85 g/L" in _notes(e34)


def test_a_condition_window_carries_the_value_set_codes_and_its_days(exported: Path) -> None:
    e2 = _criterion(exported, "E2")
    definition = e2["definitionByTypeAndValue"]
    assert definition["type"]["coding"] == [{"system": "http://hl7.org/fhir/fhir-types", "code": "Condition", "display": "Condition"}]
    codes = {(c["system"], c["code"]) for c in definition["valueCodeableConcept"]["coding"]}
    assert ("http://snomed.info/sct", "230690007") in codes  # cerebrovascular accident
    assert e2["timeFromEvent"][0]["range"]["low"]["value"] == -56


def test_calendar_month_windows_are_months(exported: Path) -> None:
    e10 = _criterion(exported, "E10")
    assert e10["timeFromEvent"][0]["range"]["low"] == {"value": -12, "unit": "months", "system": UCUM, "code": "mo"}


def test_drug_groups_are_rxnorm_ingredients_and_a_name_only_drug_is_said(exported: Path) -> None:
    i6 = _criterion(exported, "I6")
    codes = i6["definitionByTypeAndValue"]["valueCodeableConcept"]["coding"]
    assert {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "5521", "display": "hydroxychloroquine"} in codes
    assert i6["durationQuantity"] == {"value": 30, "comparator": ">=", "unit": "days", "system": UCUM, "code": "d"}
    assert "drug group antimalarial: matched by name only (no RxNorm ingredient code): quinacrine" in _notes(i6)


def test_a_ratio_to_the_upper_limit_is_said_in_a_note_not_as_a_quantity(exported: Path) -> None:
    alt, ast = _criterion(exported, "E3.1")["definitionByCombination"]["characteristic"]
    assert "valueQuantity" not in json.dumps(alt)
    assert [c["code"] for c in alt["definitionCodeableConcept"]["coding"]] == ["1742-6", "1743-4"]
    assert any(n.startswith('not expressible as FHIR elements, stated here: comparator: ">="; ratio: 2; default_uln:')
               for n in _notes(alt))


def test_any_and_all_are_combinations_and_the_exclusion_flag_sits_on_the_criterion(exported: Path) -> None:
    e1 = _criterion(exported, "E1")
    assert e1["exclude"] is True
    parts = e1["definitionByCombination"]["characteristic"]
    assert e1["definitionByCombination"]["code"] == "any-of"
    assert [p["description"] for p in parts] == [
        "24-h urine protein", "serum creatinine", "all of the following", "hemodialysis",
        "dialysis dependence or end-stage renal disease", "high-dose steroid course",
    ]
    nephritis, manual = parts[2]["definitionByCombination"]["characteristic"]
    assert parts[2]["definitionByCombination"]["code"] == "all-of"
    assert 'not expressible as FHIR elements, stated here: status: "active"' in _notes(nephritis)
    assert manual["definitionCodeableConcept"] == {"text": "whether the active nephritis requires prohibited medications"}
    assert all("exclude" not in p for p in parts)


def test_choices_and_labels_are_notes(exported: Path) -> None:
    notes = _notes(_criterion(exported, "I3"))
    assert notes[:2] == ["I3: SLE diagnosis", "statement: SLE diagnosis (ACR 1997 criteria)"]
    assert "choice: Lupus nephritis and CNS-lupus SNOMED CT codes are SLE subtypes, so they count as an SLE diagnosis." in notes
    assert any(n.startswith("only makes the part unknown (confirm at screening), never met: unknown_when:") for n in notes)
    assert "value set sle: these codes count with every code below them: M32.1" in notes


def test_study_facts_of_the_file_are_exported(tmp_path: Path) -> None:
    path = trial_file_variant(tmp_path / "trials", (
        "study:\n",
        "study:\n  status: completed\n  phase: phase-3\n  enrollment: 819\n",
    ))
    run = _export(tmp_path / "out", "--trials-dir", str(path.parent))
    assert run.exit_code == 0, run.stderr
    study = _read(tmp_path / "out", "nct05247203", "ResearchStudy.json")
    assert study["status"] == "completed" and "_status" not in study
    assert study["phase"] == {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/research-study-phase", "code": "phase-3"}]}
    assert _read(tmp_path / "out", "nct05247203", "Group.json")["quantity"] == 819


def test_one_trial_by_id_and_the_files_written_are_listed(tmp_path: Path) -> None:
    run = _export(tmp_path, "--trial", "nct05247203")
    assert run.exit_code == 0
    assert run.stdout.splitlines() == [
        str(tmp_path / "nct05247203" / name) for name in ("ResearchStudy.json", "Group.json", "EvidenceVariable.json")
    ]


def test_an_unknown_trial_is_one_line_with_exit_code_2(tmp_path: Path) -> None:
    run = _export(tmp_path, "--trials-dir", str(trial_file_variant(tmp_path / "trials").parent), "--trial", "nct00000000")
    assert run.exit_code == 2
    assert run.stderr == "trialcds export: error: unknown trial 'nct00000000' (configured: nct05247203, or all)\n"


def test_a_bad_trial_file_is_one_line_with_exit_code_2(tmp_path: Path) -> None:
    path = trial_file_variant(tmp_path / "trials", ("condition: {valuesets: [cns_disease]", "condition: {valuesets: [cns_diseases]"))
    run = _export(tmp_path / "out", "--trials-dir", str(path.parent))
    assert run.exit_code == 2
    assert run.stderr == (
        f"trialcds export: error: {path}: criterion E2: logic.condition.valuesets[0]: unknown value set 'cns_diseases'\n"
    )


def test_an_output_folder_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("")
    run = _export(blocker / "inside")
    assert run.exit_code == 2
    assert run.stderr.startswith("trialcds export: error: [Errno 20] Not a directory")
