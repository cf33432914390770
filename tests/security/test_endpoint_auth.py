"""The before_request guard on discovery, service and feedback endpoints of a Flask app."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient

from cds.security.errors import ClientConfigError
from security_tokens import (
    EHR_ISS,
    ROTATING_EHR_ISS,
    ROTATING_EHR_JKU,
    SERVICE_PATH,
    SigningIdentity,
    build_guarded_app,
    client_claims,
    jwk_set,
    sign,
)

TEST_CLIENT_BASE = "http://localhost"
GENERIC_BODY = {"error": "unauthorized", "message": "client authentication failed"}
ENDPOINTS = [("GET", "/cds-services"), ("POST", SERVICE_PATH), ("POST", SERVICE_PATH + "/feedback")]


@pytest.fixture
def client(guarded_app: Flask) -> FlaskClient:
    return guarded_app.test_client()


@pytest.fixture
def jku_server(rs384_identity: SigningIdentity) -> Iterator[responses.RequestsMock]:
    """The rotating EHR's JWKS endpoint; any other URL fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(ROTATING_EHR_JKU, json=jwk_set(rs384_identity))
        yield mock


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ehr_token(identity: SigningIdentity, path: str, iss: str = EHR_ISS, base: str = TEST_CLIENT_BASE) -> str:
    return sign(identity, client_claims(iss, base + path, time.time()))


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_cds_endpoint_requires_a_token(client: FlaskClient, method: str, path: str) -> None:
    response = client.open(path, method=method, json={})

    assert response.status_code == 401
    assert response.get_json() == GENERIC_BODY
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "eyJhbGciOi.e30.sig"])
def test_malformed_authorization_header_is_rejected(client: FlaskClient, authorization: str) -> None:
    response = client.get("/cds-services", headers={"Authorization": authorization})

    assert response.status_code == 401
    assert response.get_json() == GENERIC_BODY


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_valid_es384_token_for_the_endpoint_is_accepted(
    client: FlaskClient, es384_identity: SigningIdentity, method: str, path: str
) -> None:
    response = client.open(path, method=method, json={}, headers=bearer(ehr_token(es384_identity, path)))

    assert response.status_code == 200


def test_valid_rs384_token_from_an_allow_listed_jku_is_accepted(
    client: FlaskClient, rs384_identity: SigningIdentity, jku_server: responses.RequestsMock
) -> None:
    token = sign(rs384_identity, client_claims(ROTATING_EHR_ISS, TEST_CLIENT_BASE + SERVICE_PATH, time.time()), jku=ROTATING_EHR_JKU)

    response = client.post(SERVICE_PATH, json={}, headers=bearer(token))

    assert response.status_code == 200
    assert [call.request.url for call in jku_server.calls] == [ROTATING_EHR_JKU]


def test_discovery_token_sent_to_the_service_is_rejected(client: FlaskClient, es384_identity: SigningIdentity) -> None:
    token = ehr_token(es384_identity, "/cds-services")

    response = client.post(SERVICE_PATH, json={}, headers=bearer(token))

    assert response.status_code == 401
    assert response.get_json() == GENERIC_BODY


def test_replayed_token_is_rejected(client: FlaskClient, es384_identity: SigningIdentity) -> None:
    token = ehr_token(es384_identity, SERVICE_PATH)

    first = client.post(SERVICE_PATH, json={}, headers=bearer(token))
    replay = client.post(SERVICE_PATH, json={}, headers=bearer(token))

    assert (first.status_code, replay.status_code) == (200, 401)


def test_token_replayed_to_another_worker_is_rejected(
    tmp_path: Path, clients_file: Path, guarded_app: Flask, es384_identity: SigningIdentity
) -> None:
    other_worker = build_guarded_app(
        {
            "instance_path": str(tmp_path / "instance"),
            "CLIENTS": str(clients_file),
            "REPLAY_DB": str(tmp_path / "replay.sqlite3"),
        }
    )
    token = ehr_token(es384_identity, SERVICE_PATH)

    first = guarded_app.test_client().post(SERVICE_PATH, json={}, headers=bearer(token))
    replay = other_worker.test_client().post(SERVICE_PATH, json={}, headers=bearer(token))

    assert (first.status_code, replay.status_code) == (200, 401)


def test_unknown_service_ids_are_not_discoverable_without_a_token(client: FlaskClient) -> None:
    assert client.post("/cds-services/no-such-service", json={}).status_code == 401


def test_cors_preflight_and_other_paths_need_no_token(client: FlaskClient) -> None:
    assert client.options(SERVICE_PATH).status_code == 200
    assert client.get("/healthz").status_code == 200


def test_public_base_url_is_the_audience_behind_a_proxy(
    tmp_path: Path, clients_file: Path, es384_identity: SigningIdentity
) -> None:
    public_base = "https://trialcds.example.org/"
    app = build_guarded_app(
        {
            "instance_path": str(tmp_path / "instance"),
            "CLIENTS": str(clients_file),
            "REPLAY_DB": str(tmp_path / "replay.sqlite3"),
            "PUBLIC_BASE_URL": public_base,
        }
    )
    client = app.test_client()

    public = client.post(SERVICE_PATH, json={}, headers=bearer(ehr_token(es384_identity, SERVICE_PATH, base=public_base.rstrip("/"))))
    internal = client.post(SERVICE_PATH, json={}, headers=bearer(ehr_token(es384_identity, SERVICE_PATH)))

    assert (public.status_code, internal.status_code) == (200, 401)


def test_rejection_is_logged_with_reason_and_jti_but_never_the_token(
    client: FlaskClient, es384_identity: SigningIdentity, caplog: pytest.LogCaptureFixture
) -> None:
    claims = client_claims(EHR_ISS, TEST_CLIENT_BASE + "/cds-services", time.time())
    token = sign(es384_identity, claims)
    caplog.set_level(logging.DEBUG)

    client.post(SERVICE_PATH, json={}, headers=bearer(token))

    rejections = [record for record in caplog.records if record.name == "cds.security"]
    assert [record.fields for record in rejections] == [
        {"reason": "aud is not the URL of the endpoint called", "iss": EHR_ISS, "jti": claims["jti"], "path": SERVICE_PATH}
    ]
    signature = token.rsplit(".", 1)[1]
    assert all(signature not in record.getMessage() and signature not in str(vars(record)) for record in caplog.records)
    assert token not in caplog.text


def test_accepted_token_is_not_logged(
    client: FlaskClient, es384_identity: SigningIdentity, caplog: pytest.LogCaptureFixture
) -> None:
    token = ehr_token(es384_identity, SERVICE_PATH)
    caplog.set_level(logging.DEBUG)

    assert client.post(SERVICE_PATH, json={}, headers=bearer(token)).status_code == 200
    assert all(token.rsplit(".", 1)[1] not in str(vars(record)) for record in caplog.records)


def test_replay_store_defaults_to_a_file_in_the_instance_folder(
    tmp_path: Path, clients_file: Path, es384_identity: SigningIdentity
) -> None:
    instance = tmp_path / "instance"
    app = build_guarded_app({"instance_path": str(instance), "CLIENTS": str(clients_file)})

    app.test_client().post(SERVICE_PATH, json={}, headers=bearer(ehr_token(es384_identity, SERVICE_PATH)))

    assert (instance / "client-jwt-replay.sqlite3").is_file()


def test_auth_off_lets_any_caller_through_and_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    app = build_guarded_app({"instance_path": str(tmp_path / "instance"), "AUTH": "off"})

    assert app.test_client().post(SERVICE_PATH, json={}).status_code == 200
    assert any("client authentication is OFF" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    ("config", "expected_message"),
    [
        ({}, "TRIALCDS_CLIENTS is not set"),
        ({"AUTH": "disabled"}, "TRIALCDS_AUTH must be one of"),
        ({"AUTH": False}, "TRIALCDS_AUTH must be one of"),
    ],
)
def test_unusable_configuration_stops_start_up(tmp_path: Path, config: dict, expected_message: str) -> None:
    with pytest.raises(ClientConfigError, match=expected_message):
        build_guarded_app({"instance_path": str(tmp_path / "instance"), **config})
