"""Evaluation JSON objects for card tests, and a trial's card-facing facts.

The evaluations have the exact shape `trialcds evaluate --format json` prints (the demo
patients' NCT05247203 evaluation, cut to a few criteria), which is the only input cards
are built from.
"""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass
from typing import Any

from cds.trials.schema import CardRequirement, StudyTeam

AS_OF = datetime.date(2026, 6, 15)
# NCT05247203's evidence gate, as its trial file sets it.
SLE_EVIDENCE = CardRequirement(any_met=("I3", "I5"), why="a coded SLE diagnosis or a positive ANA/anti-dsDNA")


@dataclass(frozen=True)
class CardTrial:
    """The trial facts a card shows (cds.cards.TrialInfo)."""

    id: str = "nct05247203"
    nct_id: str = "NCT05247203"
    title: str = "Telitacicept Study in Chinese Subjects With SLE"
    short_title: str = "telitacicept, SLE"
    url: str = "https://clinicaltrials.gov/study/NCT05247203"
    card_requires: CardRequirement | None = SLE_EVIDENCE
    study_team: StudyTeam | None = StudyTeam(name="NCT05247203 (telitacicept, SLE) study team")


def criterion(cid: str, kind: str, status: str, label: str, reason: str, **extra: Any) -> dict[str, Any]:
    """One criterion entry of the evaluation JSON."""
    return {
        "id": cid,
        "kind": kind,
        "label": label,
        "status": status,
        "manual": extra.get("manual", False),
        "reason": reason,
        "clears_on": extra.get("clears_on"),
        "evidence": extra.get("evidence", []),
    }


def evidence(reference: str, code: str, value: str | None, date: str | None) -> dict[str, Any]:
    return {"reference": reference, "code": code, "value": value, "date": date}


POTENTIALLY_ELIGIBLE: dict[str, Any] = {
    "trial": "nct05247203",
    "patient": "Patient/demo-eligible",
    "as_of": AS_OF.isoformat(),
    "decision": "potentially_eligible",
    "eligible_from": None,
    "not_candidate_reason": None,
    "criteria": [
        criterion("I1", "inclusion", "unknown", "Informed consent", "confirm at screening: informed consent signed",
                  manual=True),
        criterion("I2", "inclusion", "met", "Age 18 to 65", "age 35 at 2026-06-15 (within 18-65)",
                  evidence=[evidence("Patient/demo-eligible", "birthDate", "1991-06-15", "1991-06-15")]),
        criterion("I3", "inclusion", "met", "SLE diagnosis", "systemic lupus erythematosus recorded",
                  evidence=[evidence("Condition/sle-1", "http://snomed.info/sct|55464009",
                                     "Systemic lupus erythematosus (active)", "2019-03-02")]),
        criterion("I4", "inclusion", "unknown", "SELENA-SLEDAI score of 8 or more",
                  "no coded SELENA-SLEDAI score can be read from the record (the score has no standard code): "
                  "confirm the score at screening"),
        criterion("E3.4", "exclusion", "not_met", "Hemoglobin below 85 g/L",
                  "hemoglobin 12.8 g/dL = 128 g/L on 2026-05-30 is not < 85 g/L",
                  evidence=[evidence("Observation/hb-1", "http://loinc.org|718-7", "12.8 g/dL", "2026-05-30")]),
        criterion("E16", "exclusion", "unknown", "Investigator's judgement",
                  "confirm at screening: investigator's opinion on protocol compliance", manual=True),
    ],
    "unidentified_medications": [],
    "missing_data": [],
}


def ineligible(eligible_from: str | None, clears_on: str | None) -> dict[str, Any]:
    evaluation = copy.deepcopy(POTENTIALLY_ELIGIBLE)
    evaluation["decision"] = "ineligible"
    evaluation["eligible_from"] = eligible_from
    evaluation["criteria"].append(
        criterion(
            "E8", "exclusion", "met", "Live vaccine in the last 28 days", "live vaccine on 2026-06-05 (within 28 days)",
            clears_on=clears_on,
            evidence=[evidence("Immunization/zoster-1", "http://hl7.org/fhir/sid/cvx|121", "zoster vaccine, live",
                               "2026-06-05")],
        )
    )
    return evaluation


