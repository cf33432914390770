"""The feedback store itself, on SQLite and on PostgreSQL (the CI cluster of .ci/run; `store_database`
in tests/conftest.py runs each test on both): idempotent writes from several processes at once, and
the per-card report (the latest outcome of each card, the card's display for a reason sent by code)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator

import pytest

from cds.feedback.store import FeedbackStore, IssuedCard
from cds.feedback.validation import parse_feedback

SERVICE = "trial-eligibility"
CARD = "3a1f0c3e-5b0e-4c55-9a8b-2f4c8e1d7a10"
OTHER_CARD = "8c0e2b7d-1f3a-4e59-b6d2-0a9c4f5e6d71"
REASONS = (
    ("urn:trialcds:override-reason", "already-screened", "Already screened for this trial"),
    ("urn:trialcds:override-reason", "patient-not-interested", "Patient not interested"),
)


def item(card: str, outcome: str, when: str, code: str | None = None) -> dict:
    entry = {"card": card, "outcome": outcome, "outcomeTimestamp": when}
    if outcome == "accepted":
        entry["acceptedSuggestions"] = [{"id": "5b0e3a1f-0c3e-4c55-9a8b-2f4c8e1d7a10"}]
    if code is not None:
        entry["overrideReason"] = {"reason": {"system": "urn:trialcds:override-reason", "code": code}}
    return entry


@pytest.fixture
def store(store_database: str) -> Iterator[FeedbackStore]:
    opened = FeedbackStore(store_database)
    yield opened
    opened.close()


def test_the_same_feedback_twice_is_stored_once(store):
    items = parse_feedback({"feedback": [item(CARD, "overridden", "2026-06-15T10:05:31Z", "already-screened")]})
    store.add_feedback(SERVICE, items)
    store.add_feedback(SERVICE, items)
    assert store.count_feedback() == 1


def test_report_counts_each_card_once_by_its_latest_outcome_with_the_cards_display(store):
    store.record_cards(SERVICE, [IssuedCard(CARD, "nct05247203", REASONS), IssuedCard(OTHER_CARD, "nct05247203", REASONS)])
    store.add_feedback(SERVICE, parse_feedback({"feedback": [
        item(CARD, "accepted", "2026-06-15T10:05:31Z"),
        item(CARD, "accepted", "2026-06-15T10:05:32Z"),  # a double click
        item(CARD, "overridden", "2026-06-15T10:09:00Z", "patient-not-interested"),  # then a change of mind
        item(OTHER_CARD, "accepted", "2026-06-15T11:00:00Z"),
    ]}))
    rows = [(r.trial_id, r.outcome, r.override_code, r.override_display, r.cards) for r in store.report()]
    assert rows == [
        ("nct05247203", "accepted", None, None, 1),
        ("nct05247203", "overridden", "patient-not-interested", "Patient not interested", 1),
    ]


def _write_from_worker(url: str, worker: int) -> None:
    """Store the shared item and one of this worker's own, as a gunicorn worker would."""
    items = parse_feedback({"feedback": [item(CARD, "overridden", "2026-06-15T10:05:31Z", "already-screened"),
                                         item(CARD, "overridden", f"2026-06-15T11:00:0{worker}Z", "already-screened")]})
    store = FeedbackStore(url)
    for _ in range(20):
        store.add_feedback(SERVICE, items)
    store.close()


def test_several_processes_writing_at_once(store_database: str):
    """Four processes, each creating the tables if they are missing, then writing the same item."""
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_from_worker, args=(store_database, n)) for n in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join()
    assert [process.exitcode for process in workers] == [0, 0, 0, 0]
    store = FeedbackStore(store_database)
    try:
        assert store.count_feedback() == 1 + 4
    finally:
        store.close()
