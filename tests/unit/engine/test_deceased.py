"""Ground rules, "Patient deceased" (revision of 2026-12): a patient with deceasedBoolean
true, or a deceasedDateTime on or before D, is not a candidate: decision ineligible,
eligible_from null, `not_candidate_reason` "deceased"; the criteria are still evaluated
and shown. A partial deceasedDateTime counts when any day of it may be on or before D.

The candidate (tests/support/candidate.py) passes every computable criterion, so only
the death can make it ineligible. D is 2026-11-25.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from candidate import CANDIDATE
from click.testing import CliRunner
from fhir_builders import bundle, days_before, immunization
from trial_eval import evaluate

from cds.cli import main


def _candidate(**deceased: Any) -> list[dict[str, Any]]:
    """The eligible candidate, with Patient.deceased[x] as given (Synthea writes a
    deceasedDateTime with a time and offset; Epic and US Core a deceasedBoolean)."""
    person = {**CANDIDATE[0], **deceased}
    return [person, *CANDIDATE[1:]]


def test_the_living_candidate_is_potentially_eligible() -> None:
    result = evaluate(*_candidate())
    assert result["decision"] == "potentially_eligible"
    assert result["not_candidate_reason"] is None
    assert evaluate(*_candidate(deceasedBoolean=False))["not_candidate_reason"] is None


@pytest.mark.parametrize(
    "deceased",
    [
        {"deceasedBoolean": True},
        {"deceasedDateTime": "2018-06-09T14:29:06.935915+00:00"},  # Synthea's shape, years before D
        {"deceasedDateTime": "2026-11-25T23:59:00-05:00"},  # on D
        {"deceasedDateTime": "2026-11"},  # a partial date that may be on or before D
        {"deceasedDateTime": "2026"},
    ],
    ids=["boolean", "datetime-before", "on-d", "partial-month", "partial-year"],
)
def test_a_deceased_patient_is_ineligible_with_the_reason_and_every_criterion_shown(deceased: dict) -> None:
    living = evaluate(*_candidate())
    result = evaluate(*_candidate(**deceased))
    assert result["decision"] == "ineligible"
    assert result["eligible_from"] is None
    assert result["not_candidate_reason"] == "deceased"
    assert result["criteria"] == living["criteria"]  # still evaluated, and the same


@pytest.mark.parametrize("deceased", [{"deceasedDateTime": "2026-11-26"}, {"deceasedDateTime": "2027-01"}])
def test_a_death_dated_after_d_does_not_count_at_d(deceased: dict) -> None:
    """Evaluating as of a past date: the patient was alive then."""
    result = evaluate(*_candidate(**deceased))
    assert result["decision"] == "potentially_eligible"
    assert result["not_candidate_reason"] is None


def test_an_unreadable_death_date_still_says_the_patient_died() -> None:
    result = evaluate(*_candidate(deceasedDateTime="unknown"))
    assert result["not_candidate_reason"] == "deceased"


def test_a_deceased_patient_who_would_be_eligible_soon_has_no_eligible_from() -> None:
    """A live vaccine 10 days ago would clear in 19 days; dead, there is no such date."""
    washout = [*_candidate(), immunization("03", days_before(10))]
    assert evaluate(*washout)["eligible_from"] == days_before(-19).isoformat()
    washout[0] = {**washout[0], "deceasedBoolean": True}
    result = evaluate(*washout)
    assert result["eligible_from"] is None
    assert result["not_candidate_reason"] == "deceased"


def _write(tmp_path: Path, resources: list[dict[str, Any]]) -> Path:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle(*resources)), encoding="utf-8")
    return path


def test_cli_text_says_deceased_on_its_first_line(tmp_path: Path) -> None:
    path = _write(tmp_path, _candidate(deceasedDateTime="2020-02-03T10:00:00Z"))
    run = CliRunner().invoke(main, ["evaluate", str(path), "--trial", "nct05247203", "--as-of", "2026-11-25"])
    assert run.exit_code == 0, run.stderr
    first, *rest = run.stdout.splitlines()
    assert first.startswith("NCT05247203 (telitacicept, SLE): ineligible for Patient/p1 as of 2026-11-25")
    assert "deceased" in first and "not a candidate" in first
    assert sum(line.startswith(("[x]", "[ ]", "[?]")) for line in rest) == 26  # every criterion shown


def test_cli_json_carries_the_reason(tmp_path: Path) -> None:
    path = _write(tmp_path, _candidate(deceasedBoolean=True))
    run = CliRunner().invoke(main, ["evaluate", str(path), "--trial", "nct05247203", "--as-of", "2026-11-25", "--format", "json"])
    payload = json.loads(run.stdout)
    assert (payload["decision"], payload["eligible_from"], payload["not_candidate_reason"]) == ("ineligible", None, "deceased")
