"""Fixtures for card tests: a trial's card-facing facts and evaluation JSON objects.

The evaluations have the exact shape `trialcds evaluate --format json` prints, which
is the only input cards are built from.
"""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass
from typing import Any

import pytest

AS_OF = datetime.date(2026, 6, 15)


@dataclass(frozen=True)
class CardTrial:
    """The trial facts a card shows (cds.cards.TrialInfo)."""

    id: str = "nct05247203"
    nct_id: str = "NCT05247203"
    title: str = "Telitacicept Study in Chinese Subjects With SLE"
    short_title: str = "telitacicept, SLE"
    url: str = "https://clinicaltrials.gov/study/NCT05247203"


def _criterion(cid: str, kind: str, status: str, reason: str, statement: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": cid,
        "kind": kind,
        "status": status,
        "manual": extra.get("manual", False),
        "reason": reason,
        "clears_on": extra.get("clears_on"),
        "statement": statement,
        "evidence": extra.get("evidence", []),
    }


POTENTIALLY_ELIGIBLE: dict[str, Any] = {
    "trial": "nct05247203",
    "patient": "Patient/demo-eligible",
    "as_of": AS_OF.isoformat(),
    "decision": "potentially_eligible",
    "eligible_from": None,
    "not_candidate_reason": None,
    "criteria": [
        _criterion("I1", "inclusion", "unknown", "confirm at screening", "gives informed consent", manual=True),
        _criterion(
            "I3",
            "inclusion",
            "met",
            "systemic lupus erythematosus on record",
            "SLE diagnosis (ACR 1997)",
            evidence=[
                {
                    "reference": "Condition/sle-1",
                    "code": "http://snomed.info/sct|55464009",
                    "value": "Systemic lupus erythematosus",
                    "date": "2019-03-02",
                }
            ],
        ),
        _criterion(
            "E3.4",
            "exclusion",
            "not_met",
            "hemoglobin 128 g/L is not below 85 g/L",
            "hemoglobin <85 g/L",
            evidence=[
                {
                    "reference": "Observation/hb-1",
                    "code": "http://loinc.org|718-7",
                    "value": "12.8 g/dL",
                    "date": "2026-05-30",
                }
            ],
        ),
        _criterion("E16", "exclusion", "unknown", "confirm at screening", "investigator's opinion", manual=True),
    ],
}


def _ineligible(eligible_from: str | None, clears_on: str | None) -> dict[str, Any]:
    evaluation = copy.deepcopy(POTENTIALLY_ELIGIBLE)
    evaluation["decision"] = "ineligible"
    evaluation["eligible_from"] = eligible_from
    evaluation["criteria"].append(
        _criterion(
            "E8",
            "exclusion",
            "met",
            "live vaccine (zoster vaccine live) within 28 days",
            "live vaccine within 28 days before D",
            clears_on=clears_on,
            evidence=[
                {
                    "reference": "Immunization/zoster-1",
                    "code": "http://hl7.org/fhir/sid/cvx|121",
                    "value": "zoster vaccine, live",
                    "date": "2026-06-05",
                }
            ],
        )
    )
    return evaluation


@pytest.fixture
def as_of() -> datetime.date:
    """The evaluation date of every evaluation here."""
    return AS_OF


@pytest.fixture
def trial() -> CardTrial:
    return CardTrial()


@pytest.fixture
def potentially_eligible() -> dict[str, Any]:
    return copy.deepcopy(POTENTIALLY_ELIGIBLE)


@pytest.fixture
def ineligible_until() -> Any:
    """An ineligible evaluation that clears (E8) on the given date."""
    return lambda day: _ineligible(day.isoformat(), day.isoformat())


@pytest.fixture
def ineligible_for_good() -> dict[str, Any]:
    return _ineligible(None, None)
