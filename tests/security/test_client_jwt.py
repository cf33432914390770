"""verify_client_jwt: each way a client JWT is rejected, and acceptance of valid ES384, RS384 and ES256 tokens."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import responses

from cds.security.clients import load_trusted_clients
from cds.security.errors import ClientAuthError
from cds.security.keys import SigningKeyResolver
from cds.security.policy import load_policy
from cds.security.replay import ReplayStore
from cds.security.verify import ClientJwtVerifier
from security_tokens import (
    EHR_ISS,
    ROTATING_EHR_ISS,
    ROTATING_EHR_JKU,
    SERVICE_PATH,
    SigningIdentity,
    client_claims,
    hmac_token,
    jwk_set,
    sign,
    unsigned_token,
)

POLICY = load_policy()
BASE_URL = "https://trialcds.example.org"
SERVICE_URL = BASE_URL + SERVICE_PATH
DISCOVERY_URL = BASE_URL + "/cds-services"
NOW = datetime(2026, 6, 15, 9, 30, tzinfo=timezone.utc)
NOW_SECONDS = NOW.timestamp()
LEEWAY = POLICY.clock_leeway_seconds


@pytest.fixture
def jku_server(rs384_identity: SigningIdentity) -> Iterator[responses.RequestsMock]:
    """The rotating EHR's JWKS endpoint; any other URL fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(ROTATING_EHR_JKU, json=jwk_set(rs384_identity))
        yield mock


@pytest.fixture
def verifier(tmp_path: Path, clients_file: Path, jku_server: responses.RequestsMock) -> ClientJwtVerifier:
    return ClientJwtVerifier(
        clients=load_trusted_clients(clients_file, POLICY),
        keys=SigningKeyResolver(POLICY),
        replay_store=ReplayStore(f"sqlite:///{tmp_path / 'replay.sqlite3'}", POLICY),
        leeway_seconds=LEEWAY,
    )


def rejection_reason(verifier: ClientJwtVerifier, token: str, audience: str = SERVICE_URL) -> str:
    with pytest.raises(ClientAuthError) as raised:
        verifier.verify_client_jwt(token, audience, NOW)
    return raised.value.reason


def test_valid_es384_token_with_inline_keys_is_accepted(
    verifier: ClientJwtVerifier, es384_identity: SigningIdentity, jku_server: responses.RequestsMock
) -> None:
    claims = client_claims(EHR_ISS, SERVICE_URL, NOW_SECONDS)

    assert verifier.verify_client_jwt(sign(es384_identity, claims), SERVICE_URL, NOW) == claims
    assert len(jku_server.calls) == 0


def test_valid_rs384_token_with_jku_is_accepted(verifier: ClientJwtVerifier, rs384_identity: SigningIdentity) -> None:
    claims = client_claims(ROTATING_EHR_ISS, SERVICE_URL, NOW_SECONDS)
    token = sign(rs384_identity, claims, jku=ROTATING_EHR_JKU)

    assert verifier.verify_client_jwt(token, SERVICE_URL, NOW) == claims


def test_es256_is_accepted_for_a_client_configured_for_it(
    verifier: ClientJwtVerifier, es256_identity: SigningIdentity
) -> None:
    claims = client_claims(EHR_ISS, SERVICE_URL, NOW_SECONDS)

    assert verifier.verify_client_jwt(sign(es256_identity, claims), SERVICE_URL, NOW)["jti"] == claims["jti"]


def test_epic_style_token_with_sub_nbf_and_audience_list_is_accepted(
    verifier: ClientJwtVerifier, rs384_identity: SigningIdentity
) -> None:
    claims = client_claims(
        ROTATING_EHR_ISS,
        [SERVICE_URL, "https://elsewhere.example.org"],
        NOW_SECONDS,
        sub="d45049c3-3441-40ef-ab4d-b9cd86a17225",
        nbf=int(NOW_SECONDS) - 300,
    )

    assert verifier.verify_client_jwt(sign(rs384_identity, claims), SERVICE_URL, NOW)["sub"] == claims["sub"]


def test_clock_skew_within_the_leeway_is_tolerated(verifier: ClientJwtVerifier, es384_identity: SigningIdentity) -> None:
    claims = client_claims(EHR_ISS, SERVICE_URL, NOW_SECONDS, iat=int(NOW_SECONDS) + LEEWAY - 1)

    assert verifier.verify_client_jwt(sign(es384_identity, claims), SERVICE_URL, NOW)["iat"] == claims["iat"]


def test_replayed_jti_is_rejected(verifier: ClientJwtVerifier, es384_identity: SigningIdentity) -> None:
    token = sign(es384_identity, client_claims(EHR_ISS, SERVICE_URL, NOW_SECONDS))
    verifier.verify_client_jwt(token, SERVICE_URL, NOW)

    assert rejection_reason(verifier, token) == "jti already used (replay)"


def test_replay_is_rejected_by_another_worker_sharing_the_store(
    tmp_path: Path, clients_file: Path, verifier: ClientJwtVerifier, es384_identity: SigningIdentity
) -> None:
    other_worker = ClientJwtVerifier(
        clients=load_trusted_clients(clients_file, POLICY),
        keys=SigningKeyResolver(POLICY),
        replay_store=ReplayStore(f"sqlite:///{tmp_path / 'replay.sqlite3'}", POLICY),
        leeway_seconds=LEEWAY,
    )
    token = sign(es384_identity, client_claims(EHR_ISS, SERVICE_URL, NOW_SECONDS))
    verifier.verify_client_jwt(token, SERVICE_URL, NOW)

    assert rejection_reason(other_worker, token) == "jti already used (replay)"


def test_rejected_token_does_not_use_up_its_jti(verifier: ClientJwtVerifier, es384_identity: SigningIdentity) -> None:
    claims = client_claims(EHR_ISS, SERVICE_URL, NOW_SECONDS)
    rejection_reason(verifier, sign(es384_identity, claims), audience=DISCOVERY_URL)

    assert verifier.verify_client_jwt(sign(es384_identity, claims), SERVICE_URL, NOW)["jti"] == claims["jti"]


TokenFactory = Callable[[SigningIdentity, SigningIdentity, SigningIdentity], str]


def _claims(**overrides) -> dict:
    return client_claims(EHR_ISS, SERVICE_URL, NOW_SECONDS, **overrides)


REJECTIONS: dict[str, tuple[TokenFactory, str]] = {
    "alg none": (
        lambda es384, rs384, intruder: unsigned_token({"alg": "none", "typ": "JWT", "kid": es384.kid}, _claims()),
        "alg none is forbidden (none and HMAC are never accepted)",
    ),
    "HS384 signed with the public key": (
        lambda es384, rs384, intruder: hmac_token(
            {"alg": "HS384", "typ": "JWT", "kid": es384.kid}, _claims(), es384.public_pem
        ),
        "alg HS384 is forbidden (none and HMAC are never accepted)",
    ),
    "bad signature": (
        lambda es384, rs384, intruder: sign(intruder, _claims()),
        "InvalidSignatureError: Signature verification failed",
    ),
    "tampered payload": (
        lambda es384, rs384, intruder: _swap_payload(sign(es384, _claims()), sign(intruder, _claims(sub="admin"))),
        "InvalidSignatureError: Signature verification failed",
    ),
    "unknown kid": (
        lambda es384, rs384, intruder: sign(es384, _claims(), kid="retired-key"),
        "kid not found in the client's JWK Set",
    ),
    "missing kid": (
        lambda es384, rs384, intruder: sign(es384, _claims(), kid=None),
        "kid missing from token header",
    ),
    "typ not JWT": (
        lambda es384, rs384, intruder: sign(es384, _claims(), typ="at+jwt"),
        "typ in token header is not JWT",
    ),
    "jku not allow-listed": (
        lambda es384, rs384, intruder: sign(
            rs384, client_claims(ROTATING_EHR_ISS, SERVICE_URL, NOW_SECONDS), jku="https://attacker.example.net/jwks"
        ),
        "jku in token header is not allow-listed for this iss",
    ),
    "unknown iss": (
        lambda es384, rs384, intruder: sign(es384, client_claims("https://rogue.example.net", SERVICE_URL, NOW_SECONDS)),
        "iss is not a trusted client",
    ),
    "missing iss": (
        lambda es384, rs384, intruder: sign(es384, _claims(iss=None)),
        "iss is not a trusted client",
    ),
    "algorithm not configured for the client": (
        lambda es384, rs384, intruder: sign(rs384, _claims()),
        "alg RS384 is not allowed for this client",
    ),
    "wrong aud": (
        lambda es384, rs384, intruder: sign(es384, _claims(aud="https://other-service.example.org/cds-services/x")),
        "aud is not the URL of the endpoint called",
    ),
    "discovery aud sent to the service": (
        lambda es384, rs384, intruder: sign(es384, _claims(aud=DISCOVERY_URL)),
        "aud is not the URL of the endpoint called",
    ),
    "feedback aud sent to the service": (
        lambda es384, rs384, intruder: sign(es384, _claims(aud=SERVICE_URL + "/feedback")),
        "aud is not the URL of the endpoint called",
    ),
    "missing aud": (
        lambda es384, rs384, intruder: sign(es384, _claims(aud=None)),
        'MissingRequiredClaimError: Token is missing the "aud" claim',
    ),
    "expired": (
        lambda es384, rs384, intruder: sign(
            es384, _claims(iat=int(NOW_SECONDS) - 600, exp=int(NOW_SECONDS) - LEEWAY - 1)
        ),
        "token expired (exp)",
    ),
    "iat in the future": (
        lambda es384, rs384, intruder: sign(es384, _claims(iat=int(NOW_SECONDS) + LEEWAY + 1)),
        "token issued in the future (iat)",
    ),
    "nbf in the future": (
        lambda es384, rs384, intruder: sign(es384, _claims(nbf=int(NOW_SECONDS) + LEEWAY + 1)),
        "token not yet valid (nbf)",
    ),
    "exp not a number": (
        lambda es384, rs384, intruder: sign(es384, _claims(exp="tomorrow")),
        "exp, iat and nbf must be NumericDate values",
    ),
    "missing exp": (
        lambda es384, rs384, intruder: sign(es384, _claims(exp=None)),
        'MissingRequiredClaimError: Token is missing the "exp" claim',
    ),
    "missing iat": (
        lambda es384, rs384, intruder: sign(es384, _claims(iat=None)),
        'MissingRequiredClaimError: Token is missing the "iat" claim',
    ),
    "missing jti": (
        lambda es384, rs384, intruder: sign(es384, _claims(jti=None)),
        'MissingRequiredClaimError: Token is missing the "jti" claim',
    ),
    "empty jti": (
        lambda es384, rs384, intruder: sign(es384, _claims(jti="")),
        "jti must be a non-empty string",
    ),
    "not a JWT at all": (
        lambda es384, rs384, intruder: "not-a-jwt",
        "malformed token: DecodeError",
    ),
}


def _swap_payload(genuine: str, forged: str) -> str:
    """Keep the genuine header and signature but put in another payload."""
    header, _, signature = genuine.split(".")
    return f"{header}.{forged.split('.')[1]}.{signature}"


@pytest.mark.parametrize(("make_token", "expected_reason"), REJECTIONS.values(), ids=REJECTIONS.keys())
def test_rejection(
    verifier: ClientJwtVerifier,
    es384_identity: SigningIdentity,
    rs384_identity: SigningIdentity,
    intruder_es384_identity: SigningIdentity,
    make_token: TokenFactory,
    expected_reason: str,
) -> None:
    token = make_token(es384_identity, rs384_identity, intruder_es384_identity)

    assert rejection_reason(verifier, token) == expected_reason


@pytest.fixture
def tenant_verifier(tmp_path: Path, es384_identity: SigningIdentity) -> ClientJwtVerifier:
    """A verifier whose only client is allow-listed for tenant hospital-a."""
    clients_file = tmp_path / "tenant-clients.json"
    clients_file.write_text(
        json.dumps([{"iss": EHR_ISS, "jwks": jwk_set(es384_identity), "tenant": "hospital-a"}]), encoding="utf-8"
    )
    return ClientJwtVerifier(
        clients=load_trusted_clients(clients_file, POLICY),
        keys=SigningKeyResolver(POLICY),
        replay_store=ReplayStore(f"sqlite:///{tmp_path / 'tenant-replay.sqlite3'}", POLICY),
        leeway_seconds=LEEWAY,
    )


def test_allow_listed_tenant_is_accepted(tenant_verifier: ClientJwtVerifier, es384_identity: SigningIdentity) -> None:
    token = sign(es384_identity, _claims(tenant="hospital-a"))

    assert tenant_verifier.verify_client_jwt(token, SERVICE_URL, NOW)["tenant"] == "hospital-a"


@pytest.mark.parametrize("tenant", ["hospital-b", None, ["hospital-a"]], ids=["other", "missing", "not a string"])
def test_tenant_not_allow_listed_is_rejected(
    tenant_verifier: ClientJwtVerifier, es384_identity: SigningIdentity, tenant: object
) -> None:
    token = sign(es384_identity, _claims(tenant=tenant))

    assert rejection_reason(tenant_verifier, token) == "tenant is not allow-listed for this client"


def test_rejection_carries_iss_and_jti_for_the_log(verifier: ClientJwtVerifier, es384_identity: SigningIdentity) -> None:
    claims = _claims(aud=DISCOVERY_URL)

    with pytest.raises(ClientAuthError) as raised:
        verifier.verify_client_jwt(sign(es384_identity, claims), SERVICE_URL, NOW)

    assert (raised.value.iss, raised.value.jti) == (EHR_ISS, claims["jti"])


def test_key_pinned_to_another_algorithm_is_not_used(
    verifier: ClientJwtVerifier, es384_identity: SigningIdentity, es256_identity: SigningIdentity
) -> None:
    token = sign(es384_identity, _claims(), kid=es256_identity.kid)

    assert rejection_reason(verifier, token) == "alg ES384 differs from the alg ES256 of the key"
