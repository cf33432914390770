"""The trial-file keys cards read: `card_requires` (the evidence gate) and `study_team`.

Both are optional; a file that uses them wrongly stops start-up with one message naming
the file, the criterion and the key, like every other load error.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from trial_files import trial_file_variant

from cds.trials.loader import TrialDefinitionError, load_trial, load_trials

GATE = "  any_met: [I3, I5]\n"


def _error(path: Path) -> str:
    with pytest.raises(TrialDefinitionError) as caught:
        load_trial(path)
    return str(caught.value)


def test_the_shipped_trial_asks_for_a_coded_sle_diagnosis_or_positive_serology():
    trial = load_trials()["nct05247203"]
    assert trial.card_requires is not None
    assert trial.card_requires.any_met == ("I3", "I5") and trial.card_requires.all_met == ()
    assert "SLE" in trial.card_requires.why
    assert trial.study_team is not None and trial.study_team.reference is None


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(
            (GATE, "  any_met: [I3, I7]\n"),
            "criterion I7: card_requires.any_met[1]: no criterion of this file has this id",
            id="unknown criterion",
        ),
        pytest.param(
            (GATE, "  any_met: [I3, E2]\n"),
            "criterion E2: card_requires.any_met[1]: an exclusion; a card needs met inclusions (a met exclusion shows no card)",
            id="an exclusion",
        ),
        pytest.param(
            (GATE, "  all_met: [I1]\n"),
            "criterion I1: card_requires.all_met[0]: a manual check, never met from the record; no card would ever show",
            id="a manual criterion",
        ),
        pytest.param(
            (GATE, ""),
            "card_requires: give any_met, all_met or both (criterion ids)",
            id="no criterion at all",
        ),
        pytest.param(
            (GATE, "  any_mett: [I3, I5]\n"),
            "card_requires.any_mett: Extra inputs are not permitted",
            id="misspelt key",
        ),
        pytest.param(
            ('  name: "NCT05247203 (telitacicept, SLE) study team"\n',
             '  name: "NCT05247203 (telitacicept, SLE) study team"\n  reference: "Rheumatology team"\n'),
            "study_team.reference: String should match pattern",
            id="team reference that is not a FHIR reference",
        ),
    ],
)
def test_a_wrong_card_key_names_the_file_the_criterion_and_the_key(tmp_path, edit, message):
    path = trial_file_variant(tmp_path, edit)
    error = _error(path)
    assert error.startswith(f"{path}: ") and message in error


def test_without_the_keys_a_trial_loads_with_no_gate_and_no_team(tmp_path):
    text = Path(trial_file_variant(tmp_path)).read_text(encoding="utf-8")
    start, end = text.index("card_requires:"), text.index("criteria:\n")
    path = tmp_path / "plain.yaml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    trial = load_trial(path)
    assert trial.card_requires is None and trial.study_team is None


def test_all_met_asks_for_every_criterion(tmp_path):
    trial = load_trial(trial_file_variant(tmp_path, (GATE, "  all_met: [I2, I3]\n")))
    requirement = trial.card_requires
    assert requirement.satisfied_by(frozenset({"I2", "I3", "I6"}))
    assert not requirement.satisfied_by(frozenset({"I3", "I6"}))
