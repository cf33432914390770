"""The trusted-clients file: good entries load, and every malformed one stops start-up naming file and entry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cds.security.clients import load_trusted_clients
from cds.security.errors import ClientConfigError
from cds.security.policy import load_policy
from security_tokens import EHR_ISS, ROTATING_EHR_ISS, ROTATING_EHR_JKU, SigningIdentity, jwk_set


def write_clients(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "clients.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_loads_inline_and_jku_clients(clients_file: Path, es384_identity: SigningIdentity) -> None:
    clients = load_trusted_clients(clients_file, load_policy())

    assert set(clients) == {EHR_ISS, ROTATING_EHR_ISS}
    assert es384_identity.kid in clients[EHR_ISS].inline_keys
    assert clients[EHR_ISS].algorithms == {"ES384", "ES256"}
    assert clients[ROTATING_EHR_ISS].allowed_jkus == (ROTATING_EHR_JKU,)
    assert clients[ROTATING_EHR_ISS].inline_keys is None
    assert clients[EHR_ISS].allowed_jkus == ()


def test_a_client_may_have_pinned_keys_and_allowed_jkus(tmp_path: Path, es384_identity: SigningIdentity) -> None:
    """Issue 11: the CDS Hooks sandbox's key pinned, and its jku allowed for a rotation."""
    other_jku = "https://sandbox.cds-hooks.org/keys/next.json"
    path = write_clients(
        tmp_path,
        [{"iss": EHR_ISS, "jwks": jwk_set(es384_identity), "jku": [ROTATING_EHR_JKU, other_jku]}],
    )

    client = load_trusted_clients(path, load_policy())[EHR_ISS]

    assert es384_identity.kid in client.inline_keys
    assert client.allowed_jkus == (ROTATING_EHR_JKU, other_jku)


def test_algorithms_default_to_es384_and_rs384(tmp_path: Path) -> None:
    path = write_clients(tmp_path, [{"iss": ROTATING_EHR_ISS, "jku": ROTATING_EHR_JKU}])

    assert load_trusted_clients(path, load_policy())[ROTATING_EHR_ISS].algorithms == {"ES384", "RS384"}


def test_tenant_may_be_one_id_or_a_list(tmp_path: Path) -> None:
    path = write_clients(
        tmp_path,
        [
            {"iss": "https://cds-hooks.cerner.com", "jku": "https://authorization.cerner.com/jwk", "tenant": ["a1", "b2"]},
            {"iss": ROTATING_EHR_ISS, "jku": ROTATING_EHR_JKU, "tenant": "epic-prod"},
        ],
    )

    clients = load_trusted_clients(path, load_policy())

    assert clients["https://cds-hooks.cerner.com"].tenants == {"a1", "b2"}
    assert clients[ROTATING_EHR_ISS].tenants == {"epic-prod"}


@pytest.mark.parametrize(
    ("document", "expected_message"),
    [
        ({"iss": EHR_ISS}, "expected a non-empty JSON array"),
        ([], "expected a non-empty JSON array"),
        ([{"jku": ROTATING_EHR_JKU}], "entry 0: iss: Field required"),
        ([{"iss": "", "jku": ROTATING_EHR_JKU}], "entry 0: iss: String should have at least 1 character"),
        ([{"iss": EHR_ISS}], "entry 0 (iss 'https://ehr.example.org'): give 'jku', 'jwks' or both"),
        ([{"iss": EHR_ISS, "jku": []}], "jku must be an https:// URL or a non-empty list of them"),
        ([{"iss": EHR_ISS, "jku": [ROTATING_EHR_JKU, "http://ehr.example.org/k.json"]}], "jku must be an absolute https:// URL"),
        ([{"iss": EHR_ISS, "jku": ROTATING_EHR_JKU, "jwk": {}}], "entry 0: jwk: Extra inputs are not permitted"),
        ([{"iss": EHR_ISS, "jku": "http://ehr.example.org/jwks.json"}], "jku must be an absolute https:// URL"),
        ([{"iss": EHR_ISS, "jku": "file:///etc/passwd"}], "jku must be an absolute https:// URL"),
        ([{"iss": EHR_ISS, "jku": ROTATING_EHR_JKU, "algorithms": ["HS256"]}], "not permitted: ['HS256']"),
        ([{"iss": EHR_ISS, "jku": ROTATING_EHR_JKU, "algorithms": ["none"]}], "not permitted: ['none']"),
        ([{"iss": EHR_ISS, "jku": ROTATING_EHR_JKU, "algorithms": []}], "algorithms must be a non-empty subset"),
        ([{"iss": EHR_ISS, "jku": ROTATING_EHR_JKU, "tenant": []}], "tenant must be a non-empty string"),
        ([{"iss": EHR_ISS, "jwks": {"keys": "none"}}], "jwks is not a JWK Set"),
        ([{"iss": EHR_ISS, "jwks": {"keys": [{"kty": "oct", "kid": "k", "k": "c2VjcmV0"}]}}], "kty 'oct' is not EC or RSA"),
        (
            [{"iss": EHR_ISS, "jku": ROTATING_EHR_JKU}, {"iss": EHR_ISS, "jku": ROTATING_EHR_JKU}],
            "entry 1: iss 'https://ehr.example.org' is configured twice",
        ),
    ],
)
def test_malformed_entries_fail_naming_file_and_entry(tmp_path: Path, document: Any, expected_message: str) -> None:
    path = write_clients(tmp_path, document)

    with pytest.raises(ClientConfigError) as raised:
        load_trusted_clients(path, load_policy())

    assert str(raised.value).startswith(str(path))
    assert expected_message in str(raised.value)


def test_inline_private_key_is_refused(tmp_path: Path, es384_identity: SigningIdentity) -> None:
    private_jwk = {**es384_identity.public_jwk, "d": "c2VjcmV0"}
    path = write_clients(tmp_path, [{"iss": EHR_ISS, "jwks": {"keys": [private_jwk]}}])

    with pytest.raises(ClientConfigError, match="keys\\[0\\]: contains private key material"):
        load_trusted_clients(path, load_policy())


def test_inline_duplicate_kid_is_refused(tmp_path: Path, es384_identity: SigningIdentity) -> None:
    path = write_clients(tmp_path, [{"iss": EHR_ISS, "jwks": jwk_set(es384_identity, es384_identity)}])

    with pytest.raises(ClientConfigError, match="is not unique"):
        load_trusted_clients(path, load_policy())


@pytest.mark.parametrize(("content", "expected_message"), [(None, "cannot read"), ("[{", "not valid JSON")])
def test_unreadable_file_fails_naming_it(tmp_path: Path, content: str | None, expected_message: str) -> None:
    path = tmp_path / "clients.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")

    with pytest.raises(ClientConfigError, match=expected_message) as raised:
        load_trusted_clients(path, load_policy())

    assert str(path) in str(raised.value)
