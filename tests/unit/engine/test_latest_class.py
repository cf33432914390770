"""`latest_class`: the latest dated set of class-coded Conditions decides (the shape of
NCT04221477 I1.1, biopsy-class lupus nephritis), with a window for "a recent class
implies a recent biopsy" (I1.2's unknown tier).

Conditions are problem-list entries (SNOMED CT "WHO class" codes, as the VSAC Lupus
value set lists them) and an Epic-shaped one with a partial onset.
"""

from __future__ import annotations

import pytest
from ehr_shapes import epic_problem
from fhir_builders import condition, days_before, procedure
from kind_trials import KindProbe

from cds.trials.loader import TrialDefinitionError

CLASSES = [{"valueset": f"ln_class_{n}", "name": f"class {n.upper()}"} for n in ("i", "ii", "iii", "iv", "v", "vi")]
UNCLASSIFIED = {"valueset": "ln_unclassified", "reason": "lupus nephritis recorded without a class: confirm the biopsy class"}
CLASS_III_IV = {
    "latest_class": {
        "label": "lupus nephritis class", "classes": CLASSES, "qualifying_valuesets": ["ln_class_iii", "ln_class_iv"],
        "status": "active", "unclassified": UNCLASSIFIED,
    }
}
III, IV, V, II = "76521009", "36402006", "52042003", "4676006"


@pytest.fixture
def probe(tmp_path) -> KindProbe:
    return KindProbe(tmp_path, CLASS_III_IV, kind="inclusion")


def test_class_iv_active_on_the_latest_date_is_met(probe) -> None:
    entry = probe(condition("snomed", II, onset="2019-02-01", clinical_status="resolved"), condition("snomed", IV, onset="2026-06-01"))
    assert entry["status"] == "met"
    assert "class IV" in entry["reason"]


def test_a_coexisting_class_v_is_allowed(probe) -> None:
    assert probe(condition("snomed", III, onset="2026-06-01"), condition("snomed", V, onset="2026-06-01"))["status"] == "met"


def test_a_later_other_class_is_not_met_and_named(probe) -> None:
    entry = probe(condition("snomed", IV, onset="2022-01-10"), condition("snomed", V, onset="2026-03-01"))
    assert entry["status"] == "not_met"
    assert "class V" in entry["reason"]


@pytest.mark.parametrize("clinical_status", ["inactive", "remission", "resolved"])
def test_a_latest_class_iv_that_is_not_active_is_not_met(probe, clinical_status) -> None:
    assert probe(condition("snomed", IV, onset="2026-06-01", clinical_status=clinical_status))["status"] == "not_met"


def test_no_lupus_nephritis_record_is_not_met(probe) -> None:
    assert probe()["status"] == "not_met"


def test_only_unclassified_lupus_nephritis_is_unknown(probe) -> None:
    entry = probe(condition("icd10cm", "M32.14", onset="2026-01-01"))
    assert entry["status"] == "unknown"
    assert entry["reason"] == UNCLASSIFIED["reason"]


def test_class_records_without_dates_are_unknown(probe) -> None:
    assert probe(condition("snomed", IV))["status"] == "unknown"
    # an undated record of another class may be the latest
    assert probe(condition("snomed", IV, onset="2026-06-01"), condition("snomed", II))["status"] == "unknown"
    # an undated record of the same verdict changes nothing
    assert probe(condition("snomed", IV, onset="2026-06-01"), condition("snomed", III))["status"] == "met"


def test_partial_dates_that_leave_the_latest_set_open_are_unknown(probe) -> None:
    month = epic_problem("M32.14", IV, "Lupus nephritis, class IV", onset={"onsetDateTime": "2026-06"})
    assert probe(month, condition("snomed", V, onset="2026-06-15"))["status"] == "unknown"
    assert probe(month, condition("snomed", V, onset="2026-05-15"))["status"] == "met"


@pytest.mark.parametrize(("month_class", "older_class"), [(IV, V), (V, IV)])
def test_a_class_dated_by_the_month_of_d_may_fall_after_d_and_leave_the_older_class_latest(
    probe, month_class: str, older_class: str
) -> None:
    """D is 2026-11-25: a class dated "2026-11" may be from after D, when the 2025 class is the latest."""
    month = epic_problem("M32.14", month_class, "Lupus nephritis", onset={"onsetDateTime": "2026-11"})
    found = probe(month, condition("snomed", older_class, onset="2025-01-01"))
    assert found["status"] == "unknown"
    assert "partial dates leave open which lupus nephritis class record is the latest" in found["reason"]
    # a month that ends before D is surely the latest
    earlier = epic_problem("M32.14", month_class, "Lupus nephritis", onset={"onsetDateTime": "2026-10"})
    assert probe(earlier, condition("snomed", older_class, onset="2025-01-01"))["status"] == ("met" if month_class == IV else "not_met")


def test_an_unconfirmed_class_iv_never_meets_an_inclusion(probe) -> None:
    assert probe(condition("snomed", IV, onset="2026-06-01", verification="provisional"))["status"] == "unknown"


def test_records_after_d_are_ignored(probe) -> None:
    assert probe(condition("snomed", IV, onset="2026-06-01"), condition("snomed", II, onset="2026-12-01"))["status"] == "met"


def test_a_recent_class_implies_a_biopsy_to_confirm(tmp_path) -> None:
    """The shape of NCT04221477 I1.2: a biopsy in 6 months, else unknown when the
    qualifying class is dated in the 6 months, else not_met naming the last biopsy."""
    recent_class = {"latest_class": {**CLASS_III_IV["latest_class"], "within_months": 6}}
    logic = {"any": [
        {"procedure": {"valuesets": ["kidney_biopsy"], "label": "kidney biopsy", "within_months": 6}},
        {"unknown_if": {"reason": "a recent lupus nephritis class implies a recent biopsy: confirm its date", "part": recent_class}},
    ]}
    probe = KindProbe(tmp_path, logic, kind="inclusion")
    assert probe(procedure("snomed", "7246002", days_before(30)), condition("snomed", IV, onset=days_before(30)))["status"] == "met"
    assert probe(condition("snomed", IV, onset=days_before(30)))["status"] == "unknown"
    old = probe(condition("snomed", IV, onset="2025-01-01"), procedure("snomed", "7246002", "2024-12-20"))
    assert old["status"] == "not_met"
    assert "last on 2024-12-20" in old["reason"]


def test_qualifying_classes_must_be_among_the_classes(tmp_path) -> None:
    bad = {"latest_class": {**CLASS_III_IV["latest_class"], "qualifying_valuesets": ["ln_unclassified"]}}
    with pytest.raises(TrialDefinitionError, match="not among the classes"):
        KindProbe(tmp_path, bad)
