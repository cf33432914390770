"""`diagnosis_date` (portfolio G7): a diagnosis made within a window before D, with the
unknown cases of a diagnosis "within 2 years of screening" (the shape of NCT03543839 I2).

Conditions are problem-list entries as the builders write them, and Epic-shaped ones
(partial onset, onsetAge) from ehr_shapes.py.
"""

from __future__ import annotations

import pytest
from ehr_shapes import age, epic_problem
from fhir_builders import condition, patient
from kind_trials import KindProbe

from cds.trials.loader import TrialDefinitionError

UNKNOWN_TYPE = "lupus erythematosus recorded earlier without 'systemic': confirm the SLE diagnosis date"
DIAGNOSED_WITHIN_2_YEARS = {
    "diagnosis_date": {
        "valuesets": ["sle"],
        "label": "SLE diagnosis",
        "within_years": 2,
        "unknown_when": [
            {"valueset": "lupus_unspecified", "reason": "only lupus erythematosus without 'systemic' recorded: confirm SLE"},
            {"valueset": "lupus_cutaneous", "reason": "only cutaneous lupus recorded: confirm SLE"},
            {"valueset": "lupus_drug_induced", "reason": "only drug-induced lupus recorded: confirm SLE"},
        ],
        "unknown_when_earlier": [{"valueset": "lupus_unspecified", "reason": UNKNOWN_TYPE}],
    }
}
SLE = ("snomed", "55464009", "Systemic lupus erythematosus")
BARE = ("snomed", "200936003", "Lupus erythematosus")


@pytest.fixture
def probe(tmp_path) -> KindProbe:
    return KindProbe(tmp_path, DIAGNOSED_WITHIN_2_YEARS, kind="inclusion")


@pytest.mark.parametrize(
    ("onset", "status"),
    [
        ("2024-11-25", "met"),  # exactly 2 years before D = 2026-11-25
        ("2024-11-24", "not_met"),
        ("2026-11-25", "met"),
        ("2026-11-26", "not_met"),  # after D: ignored, so no lupus record at all
    ],
)
def test_window_boundaries(probe, onset, status) -> None:
    assert probe(condition(*SLE, onset=onset))["status"] == status


def test_the_earliest_qualifying_date_decides_whatever_the_clinical_status(probe) -> None:
    old = condition("icd10cm", "M32.9", onset="2019-03-01", clinical_status="inactive")
    recent = condition(*SLE, onset="2026-01-10")
    entry = probe(old, recent)
    assert entry["status"] == "not_met"
    assert "2019-03-01" in entry["reason"]
    assert entry["clears_on"] is None


def test_recorded_date_stands_in_for_a_missing_onset(probe) -> None:
    assert probe(condition(*SLE, recorded="2025-06-01"))["status"] == "met"
    assert probe(condition(*SLE, recorded="2023-06-01"))["status"] == "not_met"


def test_no_lupus_record_is_not_met(probe) -> None:
    assert probe()["status"] == "not_met"


def test_only_a_bare_lupus_record_is_unknown_and_gives_its_earliest_date(probe) -> None:
    entry = probe(condition(*BARE, onset="2025-03-01"), condition(*BARE, onset="2021-07-04"))
    assert entry["status"] == "unknown"
    assert "2021-07-04" in entry["reason"]


def test_only_cutaneous_or_drug_induced_lupus_is_unknown(probe) -> None:
    assert probe(condition("icd10cm", "L93.0", onset="2025-03-01"))["status"] == "unknown"
    assert probe(condition("icd10cm", "M32.0", onset="2025-03-01"))["status"] == "unknown"


def test_no_usable_date_is_unknown(probe) -> None:
    assert probe(condition(*SLE))["status"] == "unknown"
    # an undated record beside a dated one: the dated one decides
    assert probe(condition(*SLE), condition(*SLE, onset="2025-02-02"))["status"] == "met"


def test_an_earlier_bare_record_beside_a_recent_sle_diagnosis_is_unknown(probe) -> None:
    """Synthea codes lupus as 200936003; a later SLE code does not date the diagnosis."""
    entry = probe(condition(*BARE, onset="2018-09-21"), condition(*SLE, onset="2026-02-01"))
    assert entry["status"] == "unknown"
    assert UNKNOWN_TYPE in entry["reason"] and "2018-09-21" in entry["reason"]
    # a bare record inside the window changes nothing
    assert probe(condition(*BARE, onset="2025-09-21"), condition(*SLE, onset="2026-02-01"))["status"] == "met"
    # and an SLE diagnosis already before the window stays not_met
    assert probe(condition(*BARE, onset="2018-09-21"), condition(*SLE, onset="2020-02-01"))["status"] == "not_met"


def test_an_unconfirmed_diagnosis_never_meets_an_inclusion(probe) -> None:
    provisional = condition(*SLE, onset="2026-01-01", verification="provisional")
    assert probe(provisional)["status"] == "unknown"
    assert probe(provisional, condition(*SLE, onset="2025-12-01"))["status"] == "met"


def test_partial_onsets_decide_only_when_every_day_agrees(probe) -> None:
    """Epic sends a year-month onset; an onsetAge in years is a whole year of life."""
    inside = epic_problem("M32.9", "55464009", "Systemic lupus erythematosus", onset={"onsetDateTime": "2025-03"})
    straddling = epic_problem("M32.9", "55464009", "Systemic lupus erythematosus", onset={"onsetDateTime": "2024-11"})
    before = epic_problem("M32.9", "55464009", "Systemic lupus erythematosus", onset={"onsetDateTime": "2024-10"})
    assert probe(inside)["status"] == "met"
    assert probe(straddling)["status"] == "unknown"
    assert probe(before)["status"] == "not_met"
    by_age = epic_problem("M32.9", "55464009", "Systemic lupus erythematosus", onset={"onsetAge": age(40)})
    assert probe(patient("1985-06-15"), by_age)["status"] == "met"  # 2025-06-15..2026-06-14


def test_a_window_is_required(tmp_path) -> None:
    with pytest.raises(TrialDefinitionError, match="diagnosis_date needs a window"):
        KindProbe(tmp_path, {"diagnosis_date": {"valuesets": ["sle"], "label": "SLE"}})
