"""Tokens shaped as the CDS Hooks sandbox signs them, against the real service (issue 11, item 3).

The sandbox's token, from `cds-hooks/sandbox` `src/retrieve-data-helpers/jwt-generator.js`:
header `{"alg": "ES384", "typ": "JWT", "kid": "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f",
"jku": "https://sandbox.cds-hooks.org/.well-known/jwks.json"}`, claims `iss`
`https://sandbox.cds-hooks.org`, `aud` (the endpoint called), `exp` = `iat` + 300, `iat`,
`jti` (a uuid v4); earlier versions of the same file also sent `sub` (the sandbox's client
id), which is kept here since clients still send it. The sandbox's private key is public, so
the tests sign with a P-384 key of their own under the sandbox's kid, pinned in the
clients file next to the sandbox's jku, as docs/security.md §4 configures the sandbox.

Nothing is fetched: `responses` fails any request that is not registered.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import responses
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from flask.testing import FlaskClient
from security_tokens import SigningIdentity, hmac_token, jwk_set, unsigned_token
from trial_files import shipped_alone

from cds import create_app
from cds.demo.requests import demo_request

SANDBOX_ISS = "https://sandbox.cds-hooks.org"
SANDBOX_JKU = "https://sandbox.cds-hooks.org/.well-known/jwks.json"
SANDBOX_KID = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"
AS_OF = datetime.date(2026, 6, 15)
BASE = "http://localhost"
SERVICE_PATH = "/cds-services/trial-eligibility"


@pytest.fixture(scope="module")
def sandbox_key() -> SigningIdentity:
    return SigningIdentity("ES384", SANDBOX_KID, ec.generate_private_key(ec.SECP384R1()))


@pytest.fixture(scope="module")
def impostor_key() -> SigningIdentity:
    """Another P-384 key under the sandbox's kid: its signatures must not verify."""
    return SigningIdentity("ES384", SANDBOX_KID, ec.generate_private_key(ec.SECP384R1()))


@pytest.fixture
def no_network() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def service(tmp_path: Path, sandbox_key: SigningIdentity, no_network: responses.RequestsMock) -> Flask:
    """The service trusting the sandbox: its key pinned, its jku allowed (docs/security.md §4);
    NCT05247203 alone, the trial the demo patient is written for (one card to give feedback on)."""
    clients = tmp_path / "clients.json"
    clients.write_text(
        json.dumps([{"iss": SANDBOX_ISS, "jwks": jwk_set(sandbox_key), "jku": SANDBOX_JKU, "algorithms": ["ES384"]}])
    )
    return create_app(
        {
            "TESTING": True,
            "AUTH": "on",
            "CLIENTS": str(clients),
            "REPLAY_DB": str(tmp_path / "replay.sqlite3"),
            "FEEDBACK_DATABASE": str(tmp_path / "feedback.sqlite3"),
            "AS_OF": AS_OF.isoformat(),
            "TRIALS_DIR": str(shipped_alone(tmp_path / "demo-trial")),
        }
    )


@pytest.fixture
def client(service: Flask) -> FlaskClient:
    return service.test_client()


def sandbox_claims(audience: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": SANDBOX_ISS, "sub": "48163c5e-88b5-4cb3-92d3-23b800caa927", "aud": audience,
              "exp": now + 300, "iat": now, "jti": str(uuid.uuid4())}
    claims.update(changes)
    return claims


def sandbox_token(key: SigningIdentity, claims: dict[str, Any], **header: Any) -> str:
    headers = {"typ": "JWT", "kid": SANDBOX_KID, "jku": SANDBOX_JKU, **header}
    return jwt.encode(claims, key.private_key, algorithm="ES384", headers=headers)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def rejection_reasons(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.fields["reason"] for r in caplog.records if r.getMessage() == "client authentication rejected"]


def test_sandbox_tokens_with_jku_and_a_pinned_kid_are_accepted_on_every_endpoint_without_a_fetch(
    client: FlaskClient, sandbox_key: SigningIdentity, no_network: responses.RequestsMock
) -> None:
    discovery = client.get("/cds-services", headers=bearer(sandbox_token(sandbox_key, sandbox_claims(BASE + "/cds-services"))))
    call = client.post(
        SERVICE_PATH,
        json=demo_request("eligible", AS_OF),
        headers=bearer(sandbox_token(sandbox_key, sandbox_claims(BASE + SERVICE_PATH))),
    )
    (card,) = call.get_json()["cards"]
    feedback = client.post(
        SERVICE_PATH + "/feedback",
        json={"feedback": [{"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-06-15T10:05:31Z",
                            "overrideReason": {"reason": {"code": "already-screened", "system": "urn:trialcds:override-reason"}}}]},
        headers=bearer(sandbox_token(sandbox_key, sandbox_claims(BASE + SERVICE_PATH + "/feedback"))),
    )

    assert (discovery.status_code, call.status_code, feedback.status_code) == (200, 200, 200)
    assert len(no_network.calls) == 0


SANDBOX_REJECTIONS = {
    "expired": (lambda key, imp: sandbox_token(key, sandbox_claims(BASE + SERVICE_PATH, exp=int(time.time()) - 3600)),
                "token expired (exp)"),
    "wrong aud": (lambda key, imp: sandbox_token(key, sandbox_claims(BASE + "/cds-services")),
                  "aud is not the URL of the endpoint called"),
    "wrong iss": (lambda key, imp: sandbox_token(key, sandbox_claims(BASE + SERVICE_PATH, iss="https://sandbox.example.net")),
                  "iss is not a trusted client"),
    "bad signature": (lambda key, imp: sandbox_token(imp, sandbox_claims(BASE + SERVICE_PATH)),
                      "InvalidSignatureError: Signature verification failed"),
    "alg none": (lambda key, imp: unsigned_token({"alg": "none", "typ": "JWT", "kid": SANDBOX_KID, "jku": SANDBOX_JKU},
                                                  sandbox_claims(BASE + SERVICE_PATH)),
                 "alg none is forbidden (none and HMAC are never accepted)"),
    "HS384": (lambda key, imp: hmac_token({"alg": "HS384", "typ": "JWT", "kid": SANDBOX_KID, "jku": SANDBOX_JKU},
                                          sandbox_claims(BASE + SERVICE_PATH), b"shared"),
              "alg HS384 is forbidden (none and HMAC are never accepted)"),
    "jku off the allow-list, kid not pinned": (
        lambda key, imp: sandbox_token(key, sandbox_claims(BASE + SERVICE_PATH), kid="attacker-key",
                                       jku="https://attacker.example.net/jwks.json"),
        "jku in token header is not allow-listed for this iss"),
}


@pytest.mark.parametrize(("make_token", "reason"), SANDBOX_REJECTIONS.values(), ids=SANDBOX_REJECTIONS.keys())
def test_sandbox_shaped_tokens_that_break_a_rule_are_refused_without_a_fetch(
    client: FlaskClient, sandbox_key: SigningIdentity, impostor_key: SigningIdentity,
    no_network: responses.RequestsMock, caplog: pytest.LogCaptureFixture, make_token, reason: str,
) -> None:
    with caplog.at_level(logging.WARNING, logger="cds.security"):
        response = client.post(SERVICE_PATH, json=demo_request("eligible", AS_OF),
                               headers=bearer(make_token(sandbox_key, impostor_key)))

    assert response.status_code == 401
    assert rejection_reasons(caplog) == [reason]
    assert len(no_network.calls) == 0


def test_a_reused_sandbox_jti_is_refused(
    client: FlaskClient, sandbox_key: SigningIdentity, caplog: pytest.LogCaptureFixture
) -> None:
    token = sandbox_token(sandbox_key, sandbox_claims(BASE + "/cds-services"))
    first = client.get("/cds-services", headers=bearer(token))
    with caplog.at_level(logging.WARNING, logger="cds.security"):
        again = client.get("/cds-services", headers=bearer(token))

    assert (first.status_code, again.status_code) == (200, 401)
    assert rejection_reasons(caplog) == ["jti already used (replay)"]


def test_an_unknown_kid_is_looked_up_at_the_allowed_jku_only_and_refused(
    client: FlaskClient, sandbox_key: SigningIdentity, no_network: responses.RequestsMock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Not pinned, so the allowed jku is asked (once); it does not hold the kid either."""
    no_network.get(SANDBOX_JKU, json=jwk_set(sandbox_key))
    token = sandbox_token(sandbox_key, sandbox_claims(BASE + SERVICE_PATH), kid="retired-2019")
    with caplog.at_level(logging.WARNING, logger="cds.security"):
        response = client.post(SERVICE_PATH, json=demo_request("eligible", AS_OF), headers=bearer(token))

    assert response.status_code == 401
    assert rejection_reasons(caplog) == ["kid not found in the client's JWK Set"]
    assert [call.request.url for call in no_network.calls] == [SANDBOX_JKU]
