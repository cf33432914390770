"""Client authentication on the real service built by cds.create_app, with a demo patient-view call."""

from __future__ import annotations

import datetime
import logging
import time
import uuid
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cds import create_app
from cds.demo.requests import demo_request
from security_tokens import EHR_ISS, SigningIdentity, client_claims, sign

AS_OF = datetime.date(2026, 6, 15)
TEST_CLIENT_BASE = "http://localhost"
GENERIC_BODY = {"error": "unauthorized", "message": "client authentication failed"}


@pytest.fixture
def service_app(tmp_path: Path, clients_file: Path) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "AUTH": "on",
            "CLIENTS": str(clients_file),
            "REPLAY_DB": str(tmp_path / "replay.sqlite3"),
            "FEEDBACK_DATABASE": str(tmp_path / "feedback.sqlite3"),
            "AS_OF": AS_OF.isoformat(),
        }
    )


@pytest.fixture
def client(service_app: Flask) -> FlaskClient:
    return service_app.test_client()


def bearer_for(identity: SigningIdentity, path: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {sign(identity, client_claims(EHR_ISS, TEST_CLIENT_BASE + path, time.time()))}"}


@pytest.fixture
def service_path(client: FlaskClient, es384_identity: SigningIdentity) -> str:
    """The path of the one service, found through an authenticated discovery call."""
    discovery = client.get("/cds-services", headers=bearer_for(es384_identity, "/cds-services"))
    assert discovery.status_code == 200
    return f"/cds-services/{discovery.get_json()['services'][0]['id']}"


def test_hook_call_with_a_valid_token_is_answered_with_cards(
    client: FlaskClient, es384_identity: SigningIdentity, service_path: str
) -> None:
    response = client.post(
        service_path, json=demo_request("eligible", AS_OF), headers=bearer_for(es384_identity, service_path)
    )

    assert response.status_code == 200
    assert "cards" in response.get_json()


@pytest.mark.parametrize("path", ["/cds-services", "/cds-services/any-service", "/cds-services/any-service/feedback"])
def test_every_endpoint_answers_401_without_a_token(client: FlaskClient, path: str) -> None:
    response = client.open(path, method="GET" if path == "/cds-services" else "POST", json={})

    assert response.status_code == 401
    assert response.get_json() == GENERIC_BODY


def test_discovery_token_cannot_call_the_service(
    client: FlaskClient, es384_identity: SigningIdentity, service_path: str
) -> None:
    response = client.post(
        service_path, json=demo_request("eligible", AS_OF), headers=bearer_for(es384_identity, "/cds-services")
    )

    assert response.status_code == 401
    assert response.get_json() == GENERIC_BODY


def test_feedback_with_a_valid_token_is_accepted(
    client: FlaskClient, es384_identity: SigningIdentity, service_path: str
) -> None:
    path = service_path + "/feedback"
    feedback = {"feedback": [{"card": str(uuid.uuid4()), "outcome": "overridden", "outcomeTimestamp": "2026-06-15T10:05:31Z"}]}

    assert client.post(path, json=feedback, headers=bearer_for(es384_identity, path)).status_code == 200


def test_tokens_never_reach_the_logs_of_a_full_run(
    client: FlaskClient, es384_identity: SigningIdentity, service_path: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    accepted = bearer_for(es384_identity, service_path)
    rejected = bearer_for(es384_identity, "/cds-services")

    client.post(service_path, json=demo_request("eligible", AS_OF), headers=accepted)
    client.post(service_path, json=demo_request("eligible", AS_OF), headers=rejected)

    logged = caplog.text + "".join(str(vars(record)) for record in caplog.records)
    assert "client authentication rejected" in caplog.text
    for headers in (accepted, rejected):
        signature = headers["Authorization"].rsplit(".", 1)[1]
        assert signature not in logged
