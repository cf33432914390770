"""Two service instances behind a load balancer share the JWT replay store and the feedback store
(issue 11, item 5): a SQLite file on one machine, PostgreSQL across machines (the CI cluster of
.ci/run; `store_database` in tests/conftest.py runs each test on both)."""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from security_tokens import EHR_ISS, SigningIdentity, client_claims, sign
from trial_files import shipped_alone

from cds import create_app
from cds.demo.requests import demo_request
from cds.feedback.store import FeedbackStore

AS_OF = datetime.date(2026, 6, 15)
# The URL the EHR calls, whichever instance the load balancer picks.
PUBLIC_BASE = "https://trialcds.example.org"
SERVICE_PATH = "/cds-services/trial-eligibility"


@pytest.fixture
def instance(clients_file: Path, store_database: str, tmp_path: Path) -> Iterator[Callable[[], Flask]]:
    """Build a service instance on the shared database; its feedback store is closed at the end.
    It runs NCT05247203 alone, the trial the demo patient is written for (one card per call)."""
    built: list[Flask] = []
    trials = shipped_alone(tmp_path / "demo-trial")

    def build() -> Flask:
        app = create_app(
            {
                "TESTING": True,
                "AUTH": "on",
                "CLIENTS": str(clients_file),
                "PUBLIC_BASE_URL": PUBLIC_BASE,
                "REPLAY_DB": store_database,
                "FEEDBACK_DATABASE": store_database,
                "AS_OF": AS_OF.isoformat(),
                "TRIALS_DIR": str(trials),
            }
        )
        built.append(app)
        return app

    yield build
    for app in built:
        app.extensions["trialcds"].store.close()


def bearer(identity: SigningIdentity, path: str) -> dict[str, str]:
    token = sign(identity, client_claims(EHR_ISS, PUBLIC_BASE + path, time.time()))
    return {"Authorization": f"Bearer {token}"}


def test_a_jti_replayed_to_the_second_instance_is_refused(
    instance, es384_identity: SigningIdentity, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = instance().test_client(), instance().test_client()
    headers = bearer(es384_identity, SERVICE_PATH)
    body = demo_request("eligible", AS_OF)

    answered = first.post(SERVICE_PATH, json=body, headers=headers)
    with caplog.at_level(logging.WARNING, logger="cds.security"):
        replayed = second.post(SERVICE_PATH, json=body, headers=headers)

    assert (answered.status_code, replayed.status_code) == (200, 401)
    reasons = [r.fields["reason"] for r in caplog.records if r.getMessage() == "client authentication rejected"]
    assert reasons == ["jti already used (replay)"]


def test_feedback_sent_to_the_other_instance_is_reported_per_card_with_the_cards_display(
    instance, es384_identity: SigningIdentity, store_database: str
) -> None:
    first, second = instance().test_client(), instance().test_client()
    (card,) = first.post(
        SERVICE_PATH, json=demo_request("eligible", AS_OF), headers=bearer(es384_identity, SERVICE_PATH)
    ).get_json()["cards"]
    offered = card["overrideReasons"][0]
    item = {
        "card": card["uuid"],
        "outcome": "overridden",
        "overrideReason": {"reason": {"system": offered["system"], "code": offered["code"]}},
        "outcomeTimestamp": "2026-06-15T10:05:31Z",
    }
    for _ in range(2):  # a double click, through each instance
        for client in (first, second):
            response = client.post(SERVICE_PATH + "/feedback", json={"feedback": [item]},
                                   headers=bearer(es384_identity, SERVICE_PATH + "/feedback"))
            assert response.status_code == 200

    store = FeedbackStore(store_database)
    try:
        (row,) = store.report()
        assert store.count_feedback() == 1
    finally:
        store.close()
    assert (row.trial_id, row.outcome, row.override_code, row.override_display, row.cards) == (
        "nct05247203", "overridden", offered["code"], offered["display"], 1
    )
