"""What every card's text must be, whoever builds it (issue 13, "Done when").

A clinician reads the card in a ~420 px side panel: the summary fits the CDS Hooks limit,
the detail names criteria by label (no bare criterion id of the trial, matched as a whole
token), never says a line twice, shows no FHIR reference, and no word meant for developers
or test data reaches it.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

# CDS Hooks 2.0 §Card: summary is a "one-sentence, <140-character" text.
SUMMARY_LIMIT = 140
# A FHIR reference as the evaluation holds them (`Observation/abc`).
FHIR_REFERENCE = re.compile(
    r"\b(Patient|Condition|Observation|Medication\w*|Procedure|Immunization|AllergyIntolerance|Encounter)/[A-Za-z0-9\-.]+"
)
# Words of configuration, code and test data (issue 13).
DEVELOPER_WORDS = ("synthea", "configured", "prefetch", "trialcds_", "local code", "terminology.md", "yaml")
# One screen of a ~420 px panel: lines of the Markdown source (headings, items, sentences).
MAX_DETAIL_LINES = 16


def bare_ids(text: str, criterion_ids: list[str]) -> list[str]:
    """The criterion ids that appear in `text` as whole tokens ("E3.1", not "E3.10" or "NE3.1")."""
    return [cid for cid in criterion_ids if re.search(rf"(?<![\w.]){re.escape(cid)}(?![\w]|\.\w)", text)]


def assert_readable_detail(detail: str, evaluation: dict[str, Any]) -> None:
    """The card's detail as the issue asks for it."""
    ids = [c["id"] for c in evaluation["criteria"]]
    assert bare_ids(detail, ids) == [], detail
    lines = [line for line in detail.splitlines() if line.strip()]
    repeated = [line for line, count in Counter(lines).items() if count > 1]
    assert repeated == [], repeated
    assert len(lines) <= MAX_DETAIL_LINES, detail
    assert not FHIR_REFERENCE.search(detail), detail
    lowered = detail.lower()
    assert [word for word in DEVELOPER_WORDS if word in lowered] == [], detail


def assert_readable_card(card: dict[str, Any]) -> None:
    """Summary, detail and the worksheet link of one card as a client receives it."""
    evaluation = card["extension"]["trialcds.evaluation"]
    assert len(card["summary"]) < SUMMARY_LIMIT, card["summary"]
    assert bare_ids(card["summary"], [c["id"] for c in evaluation["criteria"]]) == []
    assert_readable_detail(card["detail"], evaluation)
    assert [link["label"] for link in card["links"] if link["type"] == "smart"] == ["Open the eligibility worksheet"]
