"""`allergy` with portfolio G14 (a documented allergy or intolerance: clinicalStatus active
or absent, never refuted or entered-in-error) and G13 tiers (`unknown_groups`), beside the
default allergy history (any clinicalStatus).

Fixtures are shaped like the US Core AllergyIntolerance example (an RxNorm substance
code, clinicalStatus and verificationStatus codings, type, category medication).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fhir_builders import allergy, medication
from yaml_probe import probe

G14_HCQ = "{groups: [hcq], label: hydroxychloroquine, clinical_status: active_or_absent}"
REGENCY = (
    "{groups: [study_therapy_regency], unknown_groups: [regency_premedication], label: a study therapy,"
    " clinical_status: active_or_absent, unknown_reason: 'a premedication the sponsor may replace: confirm'}"
)


@pytest.fixture()
def g14(tmp_path: Path):
    return probe(tmp_path, "allergy", G14_HCQ, criterion_kind="inclusion")


@pytest.mark.parametrize(
    "record",
    [
        allergy(medication("5521", display="hydroxychloroquine")),
        allergy(medication("979092", display="Hydroxychloroquine Sulfate 200 MG Oral Tablet"), type="intolerance"),  # a product code maps
        allergy(medication(text="Plaquenil"), type=None),  # a brand name; no type
        allergy(medication("5521", display="hydroxychloroquine"), clinical_status=None),  # no clinicalStatus
    ],
)
def test_a_documented_allergy_or_intolerance_counts(g14, record: dict) -> None:
    assert g14(record)["status"] == "met"


@pytest.mark.parametrize(
    ("clinical_status", "verification"),
    [("inactive", "confirmed"), ("resolved", "confirmed"), ("active", "refuted"), ("active", "entered-in-error")],
)
def test_inactive_resolved_or_refuted_records_do_not_count(g14, clinical_status: str, verification: str) -> None:
    record = allergy(medication("5521", display="hydroxychloroquine"), clinical_status=clinical_status, verification=verification)
    entry = g14(record)
    assert entry["status"] == "not_met"
    if verification == "confirmed":
        assert clinical_status in entry["reason"]


def test_an_allergy_history_counts_whatever_its_status(tmp_path: Path) -> None:
    """The default (an allergy *history*, as NCT05247203 E7 reads it)."""
    trial = probe(tmp_path, "allergy", "{groups: [hcq], label: hydroxychloroquine}")
    record = allergy(medication("5521", display="hydroxychloroquine"), clinical_status="resolved")
    assert trial(record)["status"] == "met"


def test_a_study_therapy_allergy_is_met(tmp_path: Path) -> None:
    trial = probe(tmp_path, "allergy", REGENCY)
    assert trial(allergy(medication("68149", display="mycophenolate mofetil")))["status"] == "met"


def test_a_premedication_allergy_is_unknown_with_the_trials_reason(tmp_path: Path) -> None:
    trial = probe(tmp_path, "allergy", REGENCY)
    entry = trial(allergy(medication("161", display="Acetaminophen"), type="intolerance"))
    assert entry["status"] == "unknown"
    assert entry["reason"].endswith("a premedication the sponsor may replace: confirm")


def test_no_allergy_to_any_tier_is_not_met(tmp_path: Path) -> None:
    trial = probe(tmp_path, "allergy", REGENCY)
    assert trial(allergy(medication("7980", display="Penicillin G")))["status"] == "not_met"
