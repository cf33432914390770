"""Test helpers for client authentication: signing identities, token minting, a guarded app."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, jsonify

from cds import security

EHR_ISS = "https://ehr.example.org"
ROTATING_EHR_ISS = "https://fhir.hospital.example.com/cds-client"
ROTATING_EHR_JKU = "https://fhir.hospital.example.com/.well-known/jwks.json"
SERVICE_PATH = "/cds-services/nct05247203-eligibility"


@dataclass(frozen=True)
class SigningIdentity:
    """A CDS client's private key, the algorithm it signs with and its public JWK."""

    algorithm: str
    kid: str
    private_key: Any

    @property
    def public_jwk(self) -> dict[str, Any]:
        """The public half as a JWK, the way an EHR publishes it in its JWK Set."""
        algorithm_class = jwt.algorithms.RSAAlgorithm if self.algorithm.startswith("RS") else jwt.algorithms.ECAlgorithm
        jwk = algorithm_class.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": self.algorithm}

    @property
    def public_pem(self) -> bytes:
        """The public key in PEM, the bytes an HMAC key-confusion attack uses as the secret."""
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def ec_identity(algorithm: str, curve: ec.EllipticCurve) -> SigningIdentity:
    """A fresh elliptic-curve signing identity with a unique kid."""
    return SigningIdentity(algorithm, f"{algorithm.lower()}-{uuid.uuid4()}", ec.generate_private_key(curve))


def jwk_set(*identities: SigningIdentity) -> dict[str, Any]:
    """A JWK Set document holding the public keys of the given identities."""
    return {"keys": [identity.public_jwk for identity in identities]}


def client_claims(issuer: str, audience: str | list[str], now: float, **overrides: Any) -> dict[str, Any]:
    """Claims as a CDS client sends them (5-minute lifetime, like the sandbox); None drops a claim."""
    claims = {"iss": issuer, "aud": audience, "iat": int(now), "exp": int(now) + 300, "jti": str(uuid.uuid4())}
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def sign(identity: SigningIdentity, claims: dict[str, Any], **header_overrides: Any) -> str:
    """Sign claims as the client would: typ JWT, kid of the key, header members as given (None drops one)."""
    headers = {name: value for name, value in {"typ": "JWT", "kid": identity.kid, **header_overrides}.items() if value is not None}
    return jwt.encode(claims, identity.private_key, algorithm=identity.algorithm, headers=headers)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unsigned_token(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """An `alg: none` token (empty signature); PyJWT will not mint one, so it is assembled by hand."""
    return f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}."


def hmac_token(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    """An HS384 token with an arbitrary secret; PyJWT refuses PEM secrets, so it is assembled by hand."""
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha384).digest()
    return f"{signing_input}.{_b64url(signature)}"


def build_guarded_app(config: dict[str, Any]) -> Flask:
    """A minimal app with the three CDS Hooks endpoints, guarded by security.init_app."""
    app = Flask("guarded_test_app", instance_path=config.pop("instance_path"))
    app.config.update(TESTING=True, **config)
    security.init_app(app)

    @app.get("/cds-services")
    def discovery():
        return jsonify(services=[])

    @app.post("/cds-services/<service_id>")
    def call_service(service_id: str):
        return jsonify(cards=[])

    @app.post("/cds-services/<service_id>/feedback")
    def feedback(service_id: str):
        return jsonify({})

    @app.get("/healthz")
    def health():
        return jsonify(status="ok")

    return app
