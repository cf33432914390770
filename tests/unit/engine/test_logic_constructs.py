"""The logic-tree constructs `not`, `unknown_if`, `fallback`, `surely` and `note`, and `clears_on` through them.

Each construct is exercised in a small trial written here and loaded by the real loader;
the patients are builder-made records (fhir_builders.py), and the assertions read the
evaluation JSON.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fhir_builders import condition, days_before, immunization, observation, procedure
from kind_trials import KindProbe, criterion, run, trial_of, write_trial

from cds.trials.loader import TrialDefinitionError, load_trial

PREGNANCY = {"condition": {"valuesets": ["pregnancy"], "label": "pregnancy", "status": "active", "stale_after_days": 294}}
LIVE_VACCINE = {"immunization": {"valuesets": ["live_vaccines"], "label": "live vaccine", "within_days": 30}}
ALT_HIGH = {
    "lab_uln_ratio": {
        "analyte": "alt", "label": "ALT", "comparator": ">", "ratio": 2.5,
        "default_uln": {"value": 40, "unit": "U/L", "source": "test default"},
    }
}


# --- not --------------------------------------------------------------------------------


def test_not_swaps_met_and_not_met_and_keeps_unknown(tmp_path) -> None:
    probe = KindProbe(tmp_path, {"not": PREGNANCY}, kind="inclusion")
    assert probe()["status"] == "met"  # no pregnancy recorded
    assert probe(condition("snomed", "77386006", onset=days_before(30)))["status"] == "not_met"
    stale = condition("snomed", "77386006", onset=days_before(400))
    assert probe(stale)["status"] == "unknown"


def test_not_of_a_washout_gives_the_date_the_inclusion_becomes_met(tmp_path) -> None:
    """A live vaccine 10 days ago: "no live vaccine in 30 days" becomes true on the day
    the exclusion would have cleared (vaccine date + 31)."""
    probe = KindProbe(tmp_path, {"not": LIVE_VACCINE}, kind="inclusion")
    entry = probe(immunization("21", days_before(10)))
    assert entry["status"] == "not_met"
    assert entry["clears_on"] == (days_before(10) + timedelta(days=31)).isoformat()


def test_under_not_a_part_is_read_as_the_opposite_kind_of_criterion(tmp_path) -> None:
    """An unconfirmed pregnancy counts for an exclusion: under `not` in an inclusion it
    makes "not pregnant" false, rather than unknown."""
    provisional = condition("snomed", "77386006", onset=days_before(30), verification="provisional")
    assert KindProbe(tmp_path, PREGNANCY, kind="inclusion")(provisional)["status"] == "unknown"
    assert KindProbe(tmp_path, {"not": PREGNANCY}, kind="inclusion")(provisional)["status"] == "not_met"


def test_finding_and_not_manual_exception_is_never_met(tmp_path) -> None:
    """G13: "finding AND NOT exception" with the exception manual: a present finding is
    unknown, an absent one not_met (the shape of NCT03543839 E9)."""
    logic = {"all": [ALT_HIGH, {"not": {"manual": {"confirm": "whether related to SLE"}}}]}
    probe = KindProbe(tmp_path, logic)
    assert probe(observation("1742-6", 120, "U/L", on=days_before(5)))["status"] == "unknown"
    assert probe(observation("1742-6", 100, "U/L", on=days_before(5)))["status"] == "not_met"  # exactly 2.5 × 40
    assert probe()["status"] == "unknown"


# --- unknown_if -------------------------------------------------------------------------


def test_unknown_if_turns_met_into_unknown_with_the_reason_first(tmp_path) -> None:
    reason = "awaiting an organ transplant, organ not stated: confirm it is a kidney"
    probe = KindProbe(tmp_path, {"unknown_if": {"reason": reason, "part": {
        "condition": {"valuesets": ["organ_tx_awaiting"], "label": "awaiting organ transplant", "status": "active"}}}})
    entry = probe(condition("icd10cm", "Z76.82", onset="2025-02-01"))
    assert entry["status"] == "unknown"
    assert entry["reason"].startswith(reason)
    assert entry["evidence"][0]["code"].endswith("|Z76.82")
    assert probe()["status"] == "not_met"
    assert probe(condition("icd10cm", "Z76.82", clinical_status="resolved", onset="2025-02-01"))["status"] == "not_met"


def test_unknown_if_beside_a_met_part_leaves_the_or_met_with_its_washout(tmp_path) -> None:
    logic = {"any": [LIVE_VACCINE, {"unknown_if": {"reason": "confirm", "part": {
        "condition": {"valuesets": ["superficial_mycosis"], "label": "superficial mycosis", "status": "active"}}}}]}
    probe = KindProbe(tmp_path, logic)
    entry = probe(immunization("21", days_before(10)), condition("icd10cm", "B35.1", onset="2026-01-01"))
    assert entry["status"] == "met"
    assert entry["clears_on"] == (days_before(10) + timedelta(days=31)).isoformat()
    assert probe(condition("icd10cm", "B35.1", onset="2026-01-01"))["status"] == "unknown"


# --- fallback ---------------------------------------------------------------------------

EGFR_BELOW_30 = {"renal_function": {"label": "eGFR", "comparator": "<", "value": 30, "unit": "mL/min/{1.73_m2}", "reported_analyte": "egfr"}}
CKD_SEVERE = {"condition": {"valuesets": ["ckd_severe"], "label": "CKD stage 4-5", "status": "active"}}
CKD4 = ("snomed", "431857002")


@pytest.mark.parametrize(
    ("labs", "ckd", "expected"),
    [
        ([], True, "met"),  # no eGFR input: decided by the CKD-stage code
        ([], False, "unknown"),  # no eGFR and no code: unknown, not not_met
        ([("33914-3", 45)], True, "not_met"),  # a recent eGFR decides over the code
        ([("33914-3", 29)], False, "met"),
        ([("33914-3", 30)], False, "not_met"),  # < 30 is strict
    ],
)
def test_fallback_decides_by_the_next_part_only_without_data(tmp_path, labs, ckd, expected) -> None:
    probe = KindProbe(tmp_path, {"fallback": [EGFR_BELOW_30, CKD_SEVERE]})
    resources = [observation(code, value, "mL/min/{1.73_m2}", on=days_before(10)) for code, value in labs]
    if ckd:
        resources.append(condition(*CKD4, onset="2024-05-01"))
    assert probe(*resources)["status"] == expected


def test_fallback_does_not_skip_an_input_it_cannot_read(tmp_path) -> None:
    """An eGFR in an unconvertible unit is an input: unknown, not decided by the code."""
    probe = KindProbe(tmp_path, {"fallback": [EGFR_BELOW_30, CKD_SEVERE]})
    unreadable = observation("33914-3", 25, "mg/dL", on=days_before(10))
    assert probe(unreadable, condition(*CKD4, onset="2024-05-01"))["status"] == "unknown"


def test_fallback_reason_names_the_missing_input_and_the_deciding_part(tmp_path) -> None:
    entry = KindProbe(tmp_path, {"fallback": [EGFR_BELOW_30, CKD_SEVERE]})(condition(*CKD4, onset="2024-05-01"))
    assert "no input for eGFR" in entry["reason"] and "CKD stage 4-5" in entry["reason"]


# --- clears_on through AND and OR -------------------------------------------------------


def test_a_not_met_and_becomes_met_when_its_last_part_does(tmp_path) -> None:
    """Two washouts under NOT in an inclusion: eligible when the later one has cleared."""
    dialysis = {"procedure": {"valuesets": ["dialysis_proc"], "label": "dialysis", "within_days": 90}}
    probe = KindProbe(tmp_path, {"all": [{"not": LIVE_VACCINE}, {"not": dialysis}]}, kind="inclusion")
    entry = probe(immunization("21", days_before(10)), procedure("snomed", "302497006", days_before(20)))
    assert entry["status"] == "not_met"
    assert entry["clears_on"] == (days_before(20) + timedelta(days=91)).isoformat()


def test_a_not_met_and_with_a_part_that_never_turns_has_no_date(tmp_path) -> None:
    probe = KindProbe(tmp_path, {"all": [{"not": LIVE_VACCINE}, {"not": PREGNANCY}]}, kind="inclusion")
    entry = probe(immunization("21", days_before(10)), condition("snomed", "77386006", onset=days_before(30)))
    assert entry["status"] == "not_met"
    assert entry["clears_on"] is None


# --- the loader rejects malformed constructs, naming file, criterion and key -------------------


@pytest.mark.parametrize(
    ("logic", "named"),
    [
        ({"unknown_if": {"part": LIVE_VACCINE}}, "unknown_if"),
        ({"unknown_if": {"reason": "x", "part": LIVE_VACCINE, "extra": 1}}, "unknown_if"),
        ({"fallback": [EGFR_BELOW_30]}, "fallback"),
        ({"not": {"nonsense": {}}}, "nonsense"),
    ],
)
def test_malformed_constructs_stop_the_load(tmp_path, logic, named) -> None:
    path = write_trial(tmp_path, criterion("E9", logic))
    with pytest.raises(TrialDefinitionError) as caught:
        load_trial(path)
    message = str(caught.value)
    assert str(path) in message and "E9" in message and named in message


def test_manual_flag_sees_through_constructs(tmp_path) -> None:
    trial = trial_of(tmp_path, criterion("I9", {"not": {"manual": {"confirm": "consent"}}}, kind="inclusion"))
    assert trial.criteria[0].manual
    assert run(trial)["I9"]["manual"] is True


# --- surely and note -------------------------------------------------------------------------

SURELY_TIER = {"unknown_if": {"reason": "a recent pregnancy: confirm", "part": {"surely": PREGNANCY}}}
SCREENING_NOTE = "a screening pregnancy test is still required"


def test_surely_beneath_unknown_if_opens_the_tier_only_for_a_met_part(tmp_path) -> None:
    """A stale pregnancy leaves the part open: plain `unknown_if` keeps it unknown, while
    `surely` counts it as not met, so only a part that is met opens the unknown tier."""
    stale = condition("snomed", "77386006", onset=days_before(400))
    recent = condition("snomed", "77386006", onset=days_before(30))
    plain = KindProbe(tmp_path, {"unknown_if": {"reason": "a recent pregnancy: confirm", "part": PREGNANCY}})
    narrowed = KindProbe(tmp_path, SURELY_TIER)
    assert plain(stale)["status"] == "unknown"
    entry = narrowed(stale)
    assert entry["status"] == "not_met"
    assert entry["reason"].startswith("not surely met: pregnancy")
    assert narrowed(recent)["status"] == "unknown"
    assert narrowed()["status"] == "not_met"


@pytest.mark.parametrize(
    "logic",
    [
        {"surely": PREGNANCY},
        {"any": [{"surely": PREGNANCY}, LIVE_VACCINE]},
        {"not": {"surely": PREGNANCY}},
        {"note": {"text": SCREENING_NOTE, "part": {"surely": PREGNANCY}}},
    ],
)
def test_surely_outside_an_unknown_if_stops_the_load(tmp_path, logic) -> None:
    """It turns an unknown into not_met: outside an unknown tier it could hide an exclusion."""
    path = write_trial(tmp_path, criterion("E9", logic))
    with pytest.raises(TrialDefinitionError) as caught:
        load_trial(path)
    assert "E9" in str(caught.value) and "surely may stand only beneath an unknown_if" in str(caught.value)


def test_surely_may_stand_anywhere_beneath_an_unknown_if(tmp_path) -> None:
    logic = {"any": [LIVE_VACCINE, {"unknown_if": {"reason": "confirm", "part": {"all": [{"surely": PREGNANCY}, {"not": LIVE_VACCINE}]}}}]}
    probe = KindProbe(tmp_path, logic)
    assert probe(condition("snomed", "77386006", onset=days_before(30)))["status"] == "unknown"
    assert probe(condition("snomed", "77386006", onset=days_before(400)))["status"] == "not_met"


def test_note_is_added_to_the_reason_whenever_the_part_is_not_met(tmp_path) -> None:
    probe = KindProbe(tmp_path, {"note": {"text": SCREENING_NOTE, "part": PREGNANCY}})
    absent = probe()
    assert (absent["status"], absent["reason"]) == ("not_met", f"no record of active pregnancy; {SCREENING_NOTE}")
    stale = probe(condition("snomed", "77386006", onset=days_before(400)))
    assert stale["status"] == "unknown" and stale["reason"].endswith(SCREENING_NOTE)
    present = probe(condition("snomed", "77386006", onset=days_before(30)))
    assert present["status"] == "met" and SCREENING_NOTE not in present["reason"]


def test_note_keeps_the_date_a_part_turns(tmp_path) -> None:
    probe = KindProbe(tmp_path, {"note": {"text": "ask about travel vaccines", "part": {"not": LIVE_VACCINE}}}, kind="inclusion")
    entry = probe(immunization("21", days_before(10)))
    assert entry["status"] == "not_met"
    assert entry["clears_on"] == (days_before(10) + timedelta(days=31)).isoformat()
    assert entry["reason"].endswith("; ask about travel vaccines")


@pytest.mark.parametrize(
    "logic",
    [{"note": {"part": PREGNANCY}}, {"note": {"text": " ", "part": PREGNANCY}}, {"note": {"text": "x", "part": PREGNANCY, "reason": "y"}}],
)
def test_a_note_needs_exactly_a_text_and_a_part(tmp_path, logic) -> None:
    path = write_trial(tmp_path, criterion("E1", logic))
    with pytest.raises(TrialDefinitionError) as caught:
        load_trial(path)
    assert "E1" in str(caught.value) and "note" in str(caught.value)
