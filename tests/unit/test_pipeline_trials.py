"""Several trials on one record (cds.pipeline.evaluate_trials): facts are extracted once for
every trial that reads the same site-local codes, and a trial's own local code answers
only that trial's criteria."""

from __future__ import annotations

from pathlib import Path

import pytest
from fhir_builders import AS_OF, bundle, days_before, observation, patient
from trial_files import trial_file_variant

import cds.pipeline
from cds.pipeline import evaluate_trials
from cds.trials.loader import load_trials
from fhir_mappings.record import PatientRecord

LOCAL_SCORES = "https://ehr.example.org/fhir/CodeSystem/local-scores"
RENAMED = ("id: nct05247203\n", "id: site-copy\n")
# The copy declares one more local analyte with no code (as a site might for SLEDAI-2K).
ANOTHER_CODELESS = ("  selena_sledai: []\n", "  selena_sledai: []\n  sledai_2k: []\n")
WITH_LOCAL_CODE = ("  selena_sledai: []\n", f'  selena_sledai: [{{system: "{LOCAL_SCORES}", code: "SELENA-SLEDAI"}}]\n')


def _record() -> PatientRecord:
    """A SELENA-SLEDAI score of 9 under the site's local code, 3 days old."""
    score = observation("SELENA-SLEDAI", 9, "{score}", on=days_before(3))
    score["code"]["coding"][0]["system"] = LOCAL_SCORES
    return PatientRecord.from_bundle(bundle(patient(), score))


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    calls: list[object] = []
    real = cds.pipeline.extract_facts

    def counted(record, local_analytes=None):  # type: ignore[no-untyped-def]
        calls.append(local_analytes)
        return real(record, local_analytes)

    monkeypatch.setattr(cds.pipeline, "extract_facts", counted)
    return calls


def _i4(result) -> str:  # type: ignore[no-untyped-def]
    return next(c.status.value for c in result.criteria if c.criterion.id == "I4")


def test_local_analytes_declared_without_a_code_share_the_extraction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trial_file_variant(tmp_path, name="a.yaml")
    trial_file_variant(tmp_path, RENAMED, ANOTHER_CODELESS, name="b.yaml")
    trials = list(load_trials(tmp_path).values())
    calls = _counting(monkeypatch)
    results = evaluate_trials(_record(), trials, AS_OF)
    assert len(calls) == 1
    assert [_i4(r) for r in results] == ["unknown", "unknown"]


def test_a_trial_with_its_own_local_code_gets_facts_read_with_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trial_file_variant(tmp_path, name="a.yaml")
    trial_file_variant(tmp_path, RENAMED, WITH_LOCAL_CODE, name="b.yaml")
    trials = [load_trials(tmp_path)[key] for key in ("nct05247203", "site-copy")]
    calls = _counting(monkeypatch)
    results = evaluate_trials(_record(), trials, AS_OF)
    assert len(calls) == 2
    assert [_i4(r) for r in results] == ["unknown", "met"]
