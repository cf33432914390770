"""A trial file the service cannot use stops start-up with one message that names the
file, the criterion and the key, whatever the kind of the part that is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from trial_files import trial_file_variant

from cds import create_app
from cds.engine.kinds import KINDS
from cds.trials.loader import TrialDefinitionError, load_trial, load_trials


def _error(path: Path) -> str:
    with pytest.raises(TrialDefinitionError) as caught:
        load_trial(path)
    return str(caught.value)


CASES = {
    "misspelt criterion key": (
        [('    label: "Age 18 to 65"', '    lable: "Age 18 to 65"')],
        "criterion I2: label: Field required; lable: Extra inputs are not permitted",
    ),
    "misspelt kind parameter": (
        [("age: {min_years: 18, max_years: 65}", "age: {min_yeers: 18, max_years: 65}")],
        "criterion I2: logic.age.min_years: Field required; logic.age.min_yeers: Extra inputs are not permitted",
    ),
    "misspelt parameter deep in a tree": (
        [('label: 24-h urine protein, comparator: ">", value: 6, unit: "g/(24.h)", lookback_days: 90}',
          'label: 24-h urine protein, comparator: ">", value: 6, unit: "g/(24.h)", lookbak_days: 90}')],
        "criterion E1: logic.any[0].lab_threshold.lookbak_days: Extra inputs are not permitted",
    ),
    "bad parameter value": (
        [("age: {min_years: 18, max_years: 65}", "age: {min_years: eighteen, max_years: 65}")],
        "criterion I2: logic.age.min_years: Input should be a valid integer, unable to parse string as an integer",
    ),
    "unknown value set": (
        [("condition: {valuesets: [cns_disease], label: CNS disease", "condition: {valuesets: [cns_diseases], label: CNS disease")],
        "criterion E2: logic.condition.valuesets[0]: unknown value set 'cns_diseases'",
    ),
    "unknown value set in a nested parameter": (
        [("          - valueset: lupus_cutaneous", "          - valueset: lupus_skin")],
        "criterion I3: logic.condition.unknown_when[1].valueset: unknown value set 'lupus_skin'",
    ),
    "unknown drug group in a list": (
        [("groups: [systemic_corticosteroid, antimalarial, nsaid", "groups: [systemic_corticosteroid, antimalarials, nsaid")],
        "criterion I6: logic.stable_regimen.groups[1]: unknown drug group 'antimalarials'",
    ),
    "unknown drug group in a single parameter": (
        [("steroid_course: {group: systemic_corticosteroid, label: high-dose steroid course, min_mg_per_day: 100, min_days: 14, within_days: 56}",
          "steroid_course: {group: corticosteroid, label: high-dose steroid course, min_mg_per_day: 100, min_days: 14, within_days: 56}")],
        "criterion E1: logic.any[5].steroid_course.group: unknown drug group 'corticosteroid'",
    ),
    "unknown analyte": (
        [("lab_threshold: {analyte: hemoglobin,", "lab_threshold: {analyte: haemoglobin,")],
        "criterion E3.4: logic.lab_threshold.analyte: unknown analyte 'haemoglobin'",
    ),
    "unknown analyte under another parameter name": (
        [("        serum_creatinine: serum_creatinine\n", "        serum_creatinine: creatinine\n")],
        "criterion E3.2: logic.creatinine_clearance.serum_creatinine: unknown analyte 'creatinine'",
    ),
    "a local analyte the file no longer declares": (
        [("local_analytes:\n  selena_sledai: []\n", "")],
        "criterion I4: logic.lab_threshold.analyte: unknown analyte 'selena_sledai'",
    ),
    "criterion id used twice": (
        [("  - id: E3.5\n", "  - id: E3.4\n")],
        "criterion E3.4: id: used by more than one criterion",
    ),
    "misspelt trial key": (
        [('sponsor: "RemeGen Co., Ltd."', 'sponser: "RemeGen Co., Ltd."')],
        "sponsor: Field required; sponser: Extra inputs are not permitted",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_trial_file_is_named_with_its_criterion_and_key(tmp_path: Path, case: str) -> None:
    edits, problem = CASES[case]
    path = trial_file_variant(tmp_path, *edits)
    assert _error(path) == f"{path}: {problem}"


def test_an_unknown_kind_names_the_criterion_and_the_known_kinds(tmp_path: Path) -> None:
    path = trial_file_variant(tmp_path, ("      age: {min_years: 18", "      agee: {min_years: 18"))
    known = ", ".join(sorted(KINDS))
    assert _error(path) == f"{path}: criterion I2: logic: unknown evaluator kind 'agee' (known: {known})"


def test_a_criterion_without_an_id_is_named_by_its_place(tmp_path: Path) -> None:
    path = trial_file_variant(tmp_path, ("  - id: I1\n", "  - \n"))
    assert _error(path) == f"{path}: criteria[0]: id: Field required"


def test_an_unknown_code_system_in_the_study_facts_is_named(tmp_path: Path) -> None:
    path = trial_file_variant(tmp_path, ("    - {system: snomed, code: \"55464009\"", "    - {system: sct, code: \"55464009\""))
    assert _error(path) == (
        f"{path}: study.conditions[0].system: unknown code system 'sct' "
        "(known: loinc, snomed, icd10cm, rxnorm, cvx, cpt, atc, hcpcs, icd10pcs, actcode)"
    )


def test_two_files_with_one_trial_id_stop_loading(tmp_path: Path) -> None:
    trial_file_variant(tmp_path, name="a.yaml")
    second = trial_file_variant(tmp_path, name="b.yaml")
    with pytest.raises(TrialDefinitionError) as caught:
        load_trials(tmp_path)
    assert str(caught.value) == f"{second}: id: trial id 'nct05247203' is used by another file"


def test_the_service_does_not_start_on_a_bad_trial_file(tmp_path: Path) -> None:
    path = trial_file_variant(tmp_path / "trials", ("condition: {valuesets: [cns_disease]", "condition: {valuesets: [cns_diseases]"))
    with pytest.raises(TrialDefinitionError) as caught:
        create_app({"TESTING": True, "AUTH": "off", "TRIALS_DIR": str(path.parent),
                    "FEEDBACK_DATABASE": str(tmp_path / "feedback.sqlite3")})
    assert str(caught.value) == f"{path}: criterion E2: logic.condition.valuesets[0]: unknown value set 'cns_diseases'"


def test_every_shipped_trial_file_loads() -> None:
    for trial in load_trials().values():
        assert trial.criteria, trial.id
