"""Ground rules, "Immunizations" (revision of 2026-12): the date is occurrenceDateTime;
an Immunization with only occurrenceString has no readable date, so a criterion with a
window that it would meet (a live vaccine for E8) is unknown for it, never met and
never not_met. CVX may sit beside NDC or local codings in vaccineCode.

Shapes follow Epic's FHIR R4 Immunization.Read sample: an Epic local vaccine coding,
then CVX, then NDC; historical doses entered from a patient's card carry only a text
date. D is 2026-11-25.
"""

from __future__ import annotations

import pytest
from ehr_shapes import NDC, epic_immunization
from fhir_builders import days_before
from trial_eval import criterion, evaluate, status_of

MMR = "03"
VARICELLA = "21"
INACTIVATED_FLU = "140"


def _on(days: int) -> dict[str, str]:
    return {"occurrenceDateTime": f"{days_before(days).isoformat()}T10:15:00-05:00"}


@pytest.mark.parametrize(("days", "expected"), [(0, "met"), (28, "met"), (29, "not_met")])
def test_e8_live_vaccine_dated_by_occurrence_date_time(days: int, expected: str) -> None:
    assert status_of("E8", epic_immunization(MMR, occurrence=_on(days))) == expected


def test_e8_live_vaccine_with_only_occurrence_string_is_unknown() -> None:
    varicella = epic_immunization(VARICELLA, occurrence={"occurrenceString": "Childhood, date unknown"}, id="var-text")
    entry = criterion(evaluate(varicella), "E8")
    assert entry["status"] == "unknown"
    assert "Immunization/var-text" in entry["reason"] and "no readable date" in entry["reason"]


def test_an_undated_live_vaccine_beside_a_dated_one_in_the_window_is_met() -> None:
    dated = epic_immunization(MMR, occurrence=_on(5))
    undated = epic_immunization(VARICELLA, occurrence={"occurrenceString": "unknown"})
    entry = criterion(evaluate(dated, undated), "E8")
    assert entry["status"] == "met"
    assert entry["clears_on"] is None  # the undated dose could be as late as D


def test_an_undated_inactivated_vaccine_does_not_matter() -> None:
    flu = epic_immunization(INACTIVATED_FLU, occurrence={"occurrenceString": "last fall"})
    assert status_of("E8", flu) == "not_met"


def test_the_recorded_date_does_not_date_an_immunization() -> None:
    """Immunization.recorded is when it was written down, not when it was given."""
    varicella = epic_immunization(VARICELLA, occurrence={"occurrenceString": "as a child"})
    varicella["recorded"] = days_before(3).isoformat()
    assert status_of("E8", varicella) == "unknown"


def test_an_undated_vaccine_not_given_is_ignored() -> None:
    not_given = epic_immunization(MMR, occurrence={"occurrenceString": "refused"}, status="not-done")
    assert status_of("E8", not_given) == "not_met"


def test_cvx_after_local_and_before_ndc_codings() -> None:
    mmr = epic_immunization(MMR, occurrence=_on(10))
    assert [c["system"] for c in mmr["vaccineCode"]["coding"]][-1] == NDC
    entry = criterion(evaluate(mmr), "E8")
    assert entry["status"] == "met"
    assert entry["clears_on"] == days_before(10 - 29).isoformat()


def test_ndc_and_local_codings_alone_are_no_live_vaccine_code() -> None:
    """Without CVX the vaccine is not identified as live (closed world)."""
    no_cvx = epic_immunization(None, occurrence=_on(10))
    assert status_of("E8", no_cvx) == "not_met"


def test_e12_ivig_recorded_as_an_undated_immunization_is_unknown() -> None:
    ivig = epic_immunization("87", occurrence={"occurrenceString": "hospital stay"})
    assert status_of("E12", ivig) == "unknown"
