"""Key resolution: inline JWK Sets, allow-listed jku fetches, caching, rotation, and no fetch of other URLs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import responses

from cds.security.clients import TrustedClient
from cds.security.errors import ClientAuthError
from cds.security.jwks import parse_jwk_set
from cds.security.keys import SigningKeyResolver
from cds.security.policy import load_policy
from security_tokens import ROTATING_EHR_ISS, ROTATING_EHR_JKU, SigningIdentity, jwk_set

POLICY = load_policy()
FETCHED_AT = 1_780_000_000.0
ATTACKER_JKU = "https://attacker.example.net/jwks.json"


@pytest.fixture
def mocked_http() -> Iterator[responses.RequestsMock]:
    """A requests mock that fails any unregistered URL, so a stray fetch cannot go unnoticed."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def jku_client() -> TrustedClient:
    return TrustedClient(
        iss=ROTATING_EHR_ISS,
        algorithms=frozenset({"RS384"}),
        allowed_jkus=(ROTATING_EHR_JKU,),
        inline_keys=None,
        tenants=frozenset(),
    )


def inline_client(*identities: SigningIdentity, allowed_jkus: tuple[str, ...] = ()) -> TrustedClient:
    return TrustedClient(
        iss=ROTATING_EHR_ISS,
        algorithms=frozenset({"ES384"}),
        allowed_jkus=allowed_jkus,
        inline_keys=parse_jwk_set(jwk_set(*identities)).keys,
        tenants=frozenset(),
    )


def test_inline_key_is_found_by_kid(es384_identity: SigningIdentity, mocked_http: responses.RequestsMock) -> None:
    key = SigningKeyResolver(POLICY).resolve(inline_client(es384_identity), es384_identity.kid, None, FETCHED_AT)

    assert key.public_key.public_numbers() == es384_identity.private_key.public_key().public_numbers()
    assert len(mocked_http.calls) == 0


def test_jku_is_fetched_once_and_cached(rs384_identity: SigningIdentity, mocked_http: responses.RequestsMock) -> None:
    mocked_http.get(ROTATING_EHR_JKU, json=jwk_set(rs384_identity))
    resolver = SigningKeyResolver(POLICY)

    first = resolver.resolve(jku_client(), rs384_identity.kid, ROTATING_EHR_JKU, FETCHED_AT)
    second = resolver.resolve(jku_client(), rs384_identity.kid, None, FETCHED_AT + 10)

    assert first == second
    assert first.algorithm == "RS384"
    assert len(mocked_http.calls) == 1


def test_jku_is_refetched_after_the_cache_lifetime(
    rs384_identity: SigningIdentity, mocked_http: responses.RequestsMock
) -> None:
    mocked_http.get(ROTATING_EHR_JKU, json=jwk_set(rs384_identity))
    resolver = SigningKeyResolver(POLICY)

    resolver.resolve(jku_client(), rs384_identity.kid, None, FETCHED_AT)
    resolver.resolve(jku_client(), rs384_identity.kid, None, FETCHED_AT + POLICY.jwks_cache_seconds)

    assert len(mocked_http.calls) == 2


def test_unknown_kid_refetches_once_to_pick_up_a_rotated_key(
    rs384_identity: SigningIdentity, es384_identity: SigningIdentity, mocked_http: responses.RequestsMock
) -> None:
    mocked_http.get(ROTATING_EHR_JKU, json=jwk_set(es384_identity))
    mocked_http.get(ROTATING_EHR_JKU, json=jwk_set(es384_identity, rs384_identity))
    resolver = SigningKeyResolver(POLICY)
    resolver.resolve(jku_client(), es384_identity.kid, None, FETCHED_AT)

    rotated = resolver.resolve(jku_client(), rs384_identity.kid, None, FETCHED_AT + POLICY.jwks_min_refetch_seconds)

    assert rotated.algorithm == "RS384"
    assert len(mocked_http.calls) == 2


def test_unknown_kid_is_rejected_after_one_refetch(
    rs384_identity: SigningIdentity, mocked_http: responses.RequestsMock
) -> None:
    mocked_http.get(ROTATING_EHR_JKU, json=jwk_set(rs384_identity))
    resolver = SigningKeyResolver(POLICY)

    with pytest.raises(ClientAuthError, match="kid not found"):
        resolver.resolve(jku_client(), "no-such-kid", None, FETCHED_AT)

    assert len(mocked_http.calls) == 1


def test_unknown_kids_in_quick_succession_do_not_hammer_the_jku(
    rs384_identity: SigningIdentity, mocked_http: responses.RequestsMock
) -> None:
    mocked_http.get(ROTATING_EHR_JKU, json=jwk_set(rs384_identity))
    resolver = SigningKeyResolver(POLICY)
    resolver.resolve(jku_client(), rs384_identity.kid, None, FETCHED_AT)

    for offset, kid in enumerate(["made-up-1", "made-up-2", "made-up-3"], start=1):
        with pytest.raises(ClientAuthError, match="kid not found"):
            resolver.resolve(jku_client(), kid, None, FETCHED_AT + offset)

    assert len(mocked_http.calls) == 1


@pytest.mark.parametrize("header_jku", [ATTACKER_JKU, ROTATING_EHR_JKU + "?x=1"])
def test_jku_not_allow_listed_is_never_fetched(
    rs384_identity: SigningIdentity, mocked_http: responses.RequestsMock, header_jku: str
) -> None:
    with pytest.raises(ClientAuthError, match="jku in token header is not allow-listed"):
        SigningKeyResolver(POLICY).resolve(jku_client(), rs384_identity.kid, header_jku, FETCHED_AT)

    assert len(mocked_http.calls) == 0


@pytest.mark.parametrize("header_jku", [None, ROTATING_EHR_JKU, ATTACKER_JKU])
def test_a_pinned_kid_is_used_whatever_jku_the_header_names_and_nothing_is_fetched(
    es384_identity: SigningIdentity, mocked_http: responses.RequestsMock, header_jku: str | None
) -> None:
    """Issue 11 (the CDS Hooks sandbox sends its jku in every token): the signature is then
    checked against the pinned key, so the URL, allow-listed or not, is never fetched."""
    client = inline_client(es384_identity, allowed_jkus=(ROTATING_EHR_JKU,))

    key = SigningKeyResolver(POLICY).resolve(client, es384_identity.kid, header_jku, FETCHED_AT)

    assert key.algorithm == "ES384"
    assert len(mocked_http.calls) == 0


def test_an_unpinned_kid_with_a_jku_off_the_allow_list_is_refused_without_a_fetch(
    es384_identity: SigningIdentity, rs384_identity: SigningIdentity, mocked_http: responses.RequestsMock
) -> None:
    client = inline_client(es384_identity, allowed_jkus=(ROTATING_EHR_JKU,))

    with pytest.raises(ClientAuthError, match="jku in token header is not allow-listed"):
        SigningKeyResolver(POLICY).resolve(client, rs384_identity.kid, ATTACKER_JKU, FETCHED_AT)

    assert len(mocked_http.calls) == 0


@pytest.mark.parametrize("header_jku", [None, ROTATING_EHR_JKU])
def test_a_client_with_pinned_keys_and_an_allowed_jku_gets_other_kids_from_the_jku(
    es384_identity: SigningIdentity, rs384_identity: SigningIdentity, mocked_http: responses.RequestsMock,
    header_jku: str | None,
) -> None:
    mocked_http.get(ROTATING_EHR_JKU, json=jwk_set(rs384_identity))
    client = inline_client(es384_identity, allowed_jkus=(ROTATING_EHR_JKU,))

    key = SigningKeyResolver(POLICY).resolve(client, rs384_identity.kid, header_jku, FETCHED_AT)

    assert key.algorithm == "RS384"
    assert [call.request.url for call in mocked_http.calls] == [ROTATING_EHR_JKU]


def test_an_unpinned_kid_of_a_client_without_a_jku_is_unknown(
    es384_identity: SigningIdentity, rs384_identity: SigningIdentity, mocked_http: responses.RequestsMock
) -> None:
    with pytest.raises(ClientAuthError, match="kid not found"):
        SigningKeyResolver(POLICY).resolve(inline_client(es384_identity), rs384_identity.kid, None, FETCHED_AT)

    assert len(mocked_http.calls) == 0


def test_without_a_header_jku_each_allowed_jku_is_tried_in_turn(
    rs384_identity: SigningIdentity, mocked_http: responses.RequestsMock
) -> None:
    """A client moving its JWK Set lists the old and the new URL; the old one already fails."""
    new_jku = "https://fhir.hospital.example.com/keys/2026.json"
    mocked_http.get(ROTATING_EHR_JKU, status=404)
    mocked_http.get(new_jku, json=jwk_set(rs384_identity))
    client = TrustedClient(
        iss=ROTATING_EHR_ISS,
        algorithms=frozenset({"RS384"}),
        allowed_jkus=(ROTATING_EHR_JKU, new_jku),
        inline_keys=None,
        tenants=frozenset(),
    )

    assert SigningKeyResolver(POLICY).resolve(client, rs384_identity.kid, None, FETCHED_AT).algorithm == "RS384"


def test_redirect_from_the_jku_is_not_followed(
    rs384_identity: SigningIdentity, mocked_http: responses.RequestsMock
) -> None:
    mocked_http.get(ROTATING_EHR_JKU, status=302, headers={"Location": ATTACKER_JKU})

    with pytest.raises(ClientAuthError, match="HTTP 302"):
        SigningKeyResolver(POLICY).resolve(jku_client(), rs384_identity.kid, None, FETCHED_AT)

    assert [call.request.url for call in mocked_http.calls] == [ROTATING_EHR_JKU]


@pytest.mark.parametrize(
    ("registration", "expected_reason"),
    [
        ({"status": 500, "json": {"error": "down"}}, "HTTP 500"),
        ({"body": requests.ConnectTimeout()}, "jku fetch failed: ConnectTimeout"),
        ({"body": requests.ConnectionError()}, "jku fetch failed: ConnectionError"),
        ({"body": "<html>not json</html>"}, "not a JWK Set"),
        ({"json": {"keys": {}}}, "not a JWK Set"),
        ({"body": b" " * (POLICY.jwks_max_bytes + 1)}, "exceeds"),
    ],
)
def test_unusable_jku_answers_reject_the_token(
    rs384_identity: SigningIdentity, mocked_http: responses.RequestsMock, registration: dict, expected_reason: str
) -> None:
    mocked_http.get(ROTATING_EHR_JKU, **registration)

    with pytest.raises(ClientAuthError, match=expected_reason):
        SigningKeyResolver(POLICY).resolve(jku_client(), rs384_identity.kid, None, FETCHED_AT)


def test_fetched_set_skips_unusable_keys_but_keeps_good_ones(
    rs384_identity: SigningIdentity, mocked_http: responses.RequestsMock
) -> None:
    symmetric = {"kty": "oct", "kid": "shared-secret", "k": "c2VjcmV0"}
    encryption = {**rs384_identity.public_jwk, "kid": "enc-key", "use": "enc"}
    mocked_http.get(ROTATING_EHR_JKU, json={"keys": [symmetric, encryption, rs384_identity.public_jwk]})
    resolver = SigningKeyResolver(POLICY)

    assert resolver.resolve(jku_client(), rs384_identity.kid, None, FETCHED_AT).algorithm == "RS384"
    for kid in ("shared-secret", "enc-key"):
        with pytest.raises(ClientAuthError, match="kid not found"):
            resolver.resolve(jku_client(), kid, None, FETCHED_AT)
