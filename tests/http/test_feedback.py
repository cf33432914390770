"""Feedback (CDS Hooks 2.0 §Feedback): checks, durable and idempotent storage, the report."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from hook_settings import SERVICE_URL

from cds.cli import main
from cds.feedback.store import FeedbackStore

FEEDBACK_URL = SERVICE_URL + "/feedback"
ALREADY_SCREENED = {"system": "urn:trialcds:override-reason", "code": "already-screened", "display": "Already screened"}


def overridden(card: str, when: str = "2026-06-15T10:05:31Z") -> dict:
    return {"card": card, "outcome": "overridden", "overrideReason": {"reason": ALREADY_SCREENED}, "outcomeTimestamp": when}


@pytest.fixture
def app(make_app, demo_trial_dir) -> Flask:
    """The service with NCT05247203 alone: the reports count that trial's cards for the demo patients."""
    return make_app(TRIALS_DIR=str(demo_trial_dir))


@pytest.fixture
def card(client, hook_request) -> dict:
    """A card this service issued for the eligible demo patient."""
    return client.post(SERVICE_URL, json=hook_request()).json["cards"][0]


@pytest.fixture
def store(app) -> FeedbackStore:
    return app.extensions["trialcds"].store


def test_accepted_feedback_is_stored(client, card, store):
    item = {
        "card": card["uuid"],
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
        "outcomeTimestamp": "2026-06-15T10:05:31Z",
    }
    response = client.post(FEEDBACK_URL, json={"feedback": [item]})
    assert response.status_code == 200
    assert store.count_feedback() == 1


def test_same_feedback_twice_is_stored_once(client, card, store):
    body = {"feedback": [overridden(card["uuid"])]}
    assert client.post(FEEDBACK_URL, json=body).status_code == 200
    assert client.post(FEEDBACK_URL, json=body).status_code == 200
    assert store.count_feedback() == 1


def test_later_feedback_on_the_same_card_is_kept(client, card, store):
    client.post(FEEDBACK_URL, json={"feedback": [overridden(card["uuid"])]})
    client.post(FEEDBACK_URL, json={"feedback": [overridden(card["uuid"], "2026-06-16T08:00:00Z")]})
    assert store.count_feedback() == 2


def test_feedback_is_durable_across_app_instances(make_app, card, client):
    client.post(FEEDBACK_URL, json={"feedback": [overridden(card["uuid"])]})
    assert make_app().extensions["trialcds"].store.count_feedback() == 1


def report(tmp_path: Path) -> list[str]:
    """The lines `trialcds feedback-report` prints for the app's feedback store."""
    result = CliRunner().invoke(main, ["feedback-report", "--database", str(tmp_path / "feedback.sqlite3")])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def accepted(card: dict, when: str = "2026-06-15T10:05:31Z") -> dict:
    return {"card": card["uuid"], "outcome": "accepted", "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
            "outcomeTimestamp": when}


def test_report_counts_outcomes_and_reasons_per_trial(client, card, tmp_path):
    client.post(FEEDBACK_URL, json={"feedback": [overridden(card["uuid"])]})
    orphan = overridden(str(uuid.uuid4()))
    orphan["overrideReason"] = {"userComment": "free text"}
    client.post(FEEDBACK_URL, json={"feedback": [orphan]})
    assert report(tmp_path) == [
        "Cards with feedback, each counted once by its latest outcome:",
        "nct05247203: 1 card",
        "  overridden, already-screened (Already screened): 1",
        "(cards not issued by this service): 1 card",
        "  overridden, (no coded reason): 1",
    ]


def test_report_counts_cards_not_clicks_and_keeps_each_cards_latest_outcome(client, hook_request, tmp_path):
    """Issue 11: a double click (the same outcome twice, a second apart) is one card; a card
    accepted, then overridden, counts once, as overridden."""
    double_clicked, changed_mind, plain = (client.post(SERVICE_URL, json=hook_request()).json["cards"][0] for _ in range(3))
    client.post(FEEDBACK_URL, json={"feedback": [accepted(double_clicked, "2026-06-15T10:05:31Z")]})
    client.post(FEEDBACK_URL, json={"feedback": [accepted(double_clicked, "2026-06-15T10:05:32Z")]})
    client.post(FEEDBACK_URL, json={"feedback": [accepted(changed_mind, "2026-06-15T10:05:31Z"),
                                                 overridden(changed_mind["uuid"], "2026-06-15T10:09:00Z")]})
    client.post(FEEDBACK_URL, json={"feedback": [accepted(plain)]})
    # Sent late, but about an earlier moment: it does not replace the card's later outcome.
    client.post(FEEDBACK_URL, json={"feedback": [accepted(changed_mind, "2026-06-15T10:00:00Z")]})
    assert report(tmp_path) == [
        "Cards with feedback, each counted once by its latest outcome:",
        "nct05247203: 3 cards",
        "  accepted: 2",
        "  overridden, already-screened (Already screened): 1",
    ]


def test_override_sent_with_its_code_alone_is_reported_with_the_display_the_card_offered(client, card, tmp_path):
    """As the CDS Hooks sandbox sends it: the reason's system and code, no display."""
    offered = next(reason for reason in card["overrideReasons"] if reason["code"] == "patient-not-interested")
    item = overridden(card["uuid"])
    item["overrideReason"] = {"reason": {"system": offered["system"], "code": offered["code"]}}
    client.post(FEEDBACK_URL, json={"feedback": [item]})
    assert report(tmp_path)[2] == f"  overridden, patient-not-interested ({offered['display']}): 1"


def test_free_text_comment_is_not_stored(client, card, tmp_path):
    item = overridden(card["uuid"])
    item["overrideReason"]["userComment"] = "patient Alex Demo declined"
    client.post(FEEDBACK_URL, json={"feedback": [item]})
    assert b"declined" not in (tmp_path / "feedback.sqlite3").read_bytes()


CARD = "3a1f0c3e-5b0e-4c55-9a8b-2f4c8e1d7a10"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "feedback is required"),
        ({"feedback": []}, "feedback is required"),
        ({"feedback": ["x"]}, "feedback[0] must be an object"),
        ({"feedback": [{"card": CARD, "outcome": "ignored", "outcomeTimestamp": "2026-06-15T10:05:31Z"}]}, "outcome must be one of"),
        ({"feedback": [{"card": "card-1", "outcome": "overridden", "outcomeTimestamp": "2026-06-15T10:05:31Z"}]}, "card must be a UUID"),
        ({"feedback": [{"outcome": "overridden", "outcomeTimestamp": "2026-06-15T10:05:31Z"}]}, "card is required"),
        ({"feedback": [{"card": CARD, "outcome": "overridden"}]}, "outcomeTimestamp is required"),
        ({"feedback": [{"card": CARD, "outcome": "overridden", "outcomeTimestamp": "2026-06-15"}]}, "RFC 3339 instant"),
        ({"feedback": [{"card": CARD, "outcome": "overridden", "outcomeTimestamp": "2026-02-30T10:00:00Z"}]}, "not a valid date"),
        # valid RFC 3339, but outside the years a date can hold once in UTC
        ({"feedback": [{"card": CARD, "outcome": "overridden", "outcomeTimestamp": "0001-01-01T00:00:00+01:00"}]}, "not a valid date"),
        ({"feedback": [{"card": CARD, "outcome": "overridden", "outcomeTimestamp": "9999-12-31T23:59:59-01:00"}]}, "not a valid date"),
        ({"feedback": [{"card": CARD, "outcome": "accepted", "outcomeTimestamp": "2026-06-15T10:05:31Z"}]}, "acceptedSuggestions is required"),
        ({"feedback": [{"card": CARD, "outcome": "accepted", "acceptedSuggestions": [{}], "outcomeTimestamp": "2026-06-15T10:05:31Z"}]}, "acceptedSuggestions[0].id"),
        ({"feedback": [{"card": CARD, "outcome": "overridden", "overrideReason": {}, "outcomeTimestamp": "2026-06-15T10:05:31Z"}]}, "needs a reason or a userComment"),
        ({"feedback": [{"card": CARD, "outcome": "overridden", "overrideReason": {"reason": {"code": "x"}}, "outcomeTimestamp": "2026-06-15T10:05:31Z"}]}, "Coding with system and code"),
    ],
)
def test_malformed_feedback_is_400_naming_the_problem(client, store, body, message):
    response = client.post(FEEDBACK_URL, json=body)
    assert response.status_code == 400
    assert message in response.json["issue"][0]["diagnostics"]
    assert store.count_feedback() == 0


def test_feedback_that_is_not_json_is_400(client):
    response = client.post(FEEDBACK_URL, data=b"{", content_type="application/json")
    assert response.status_code == 400
    assert "feedback body is not valid JSON" in response.json["issue"][0]["diagnostics"]


def test_feedback_for_an_unknown_service_is_404(client):
    assert client.post("/cds-services/other/feedback", json={"feedback": [overridden(CARD)]}).status_code == 404
