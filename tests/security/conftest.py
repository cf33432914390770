"""Fixtures for the client-authentication tests: keys generated with cryptography, a trusted-clients file, a guarded app.

Nothing is read from the network: responses fails any request that was not registered.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import Flask

from security_tokens import (
    EHR_ISS,
    ROTATING_EHR_ISS,
    ROTATING_EHR_JKU,
    SigningIdentity,
    build_guarded_app,
    ec_identity,
    jwk_set,
)


@pytest.fixture(scope="session")
def es384_identity() -> SigningIdentity:
    """An ES384 client key (the CDS Hooks sandbox's algorithm)."""
    return ec_identity("ES384", ec.SECP384R1())


@pytest.fixture(scope="session")
def es256_identity() -> SigningIdentity:
    """An ES256 client key, accepted only when a client is configured for ES256."""
    return ec_identity("ES256", ec.SECP256R1())


@pytest.fixture(scope="session")
def rs384_identity() -> SigningIdentity:
    """An RS384 client key (Epic's default algorithm)."""
    return SigningIdentity("RS384", f"rs384-{uuid.uuid4()}", rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="session")
def intruder_es384_identity(es384_identity: SigningIdentity) -> SigningIdentity:
    """A different ES384 key that claims the trusted key's kid: its signatures must not verify."""
    return SigningIdentity("ES384", es384_identity.kid, ec.generate_private_key(ec.SECP384R1()))


@pytest.fixture
def clients_file(tmp_path: Path, es384_identity: SigningIdentity, es256_identity: SigningIdentity) -> Path:
    """A trusted-clients file: one EHR with inline keys (ES384 + ES256), one with an allow-listed jku (RS384)."""
    path = tmp_path / "clients.json"
    path.write_text(
        json.dumps(
            [
                {
                    "iss": EHR_ISS,
                    "jwks": jwk_set(es384_identity, es256_identity),
                    "algorithms": ["ES384", "ES256"],
                },
                {"iss": ROTATING_EHR_ISS, "jku": ROTATING_EHR_JKU},
            ]
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def guarded_app(tmp_path: Path, clients_file: Path) -> Flask:
    """The minimal app with authentication on and the replay store in a temporary SQLite file."""
    return build_guarded_app(
        {
            "instance_path": str(tmp_path / "instance"),
            "CLIENTS": str(clients_file),
            "REPLAY_DB": str(tmp_path / "replay.sqlite3"),
        }
    )
