"""Verify a CDS client's JWT (CDS Hooks 2.0 §"Trusting CDS Clients", §"JWT Signing Algorithm")."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import jwt
from jwt.exceptions import PyJWTError
from sqlalchemy.exc import SQLAlchemyError

from cds.security.clients import TrustedClient
from cds.security.errors import ClientAuthError
from cds.security.keys import SigningKeyResolver
from cds.security.replay import ReplayStore

# CDS Hooks 2.0 §"JWT Signing Algorithm": clients SHALL NOT use none or symmetric algorithms.
# Rejected before any key lookup, so no key (least of all a public one) ever becomes an HMAC secret.
FORBIDDEN_ALGORITHM_PREFIXES = ("NONE", "HS")
# CDS Hooks 2.0 §"Trusting CDS Clients", JWT payload: REQUIRED claims. sub and nbf (Epic) are accepted, not required.
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "jti")


class ClientJwtVerifier:
    """Check header, issuer, signature, audience, lifetime, tenant and jti of a client JWT."""

    def __init__(
        self,
        clients: Mapping[str, TrustedClient],
        keys: SigningKeyResolver,
        replay_store: ReplayStore,
        leeway_seconds: float,
    ) -> None:
        self._clients = clients
        self._keys = keys
        self._replay_store = replay_store
        self._leeway_seconds = leeway_seconds

    def verify_client_jwt(self, token: str, audience_url: str, now: datetime) -> dict[str, Any]:
        """Return the token's claims when every check passes.

        audience_url is the URL of the endpoint called: aud MUST equal it, so a token
        minted for discovery cannot be used at the service endpoint.

        :raise ClientAuthError: with the precise reason (for the log only), and iss/jti when readable.
        """
        header = _checked_header(token)
        unverified = _unverified_claims(token)
        iss = unverified.get("iss")
        jti = unverified.get("jti")
        jti = jti if isinstance(jti, str) else None
        client = self._clients.get(iss) if isinstance(iss, str) else None
        if client is None:
            raise ClientAuthError("iss is not a trusted client", iss=iss if isinstance(iss, str) else None, jti=jti)
        try:
            return self._verified_claims(token, header, client, audience_url, now.timestamp())
        except ClientAuthError as error:
            error.iss, error.jti = client.iss, jti
            raise

    def _verified_claims(
        self, token: str, header: dict[str, Any], client: TrustedClient, audience_url: str, now: float
    ) -> dict[str, Any]:
        """Verify algorithm, signature and aud with the client's key, then time, tenant and jti."""
        algorithm = header["alg"]
        if algorithm not in client.algorithms:
            raise ClientAuthError(f"alg {algorithm} is not allowed for this client")
        key = self._keys.resolve(client, header["kid"], header.get("jku"), now)
        if key.algorithm is not None and key.algorithm != algorithm:
            raise ClientAuthError(f"alg {algorithm} differs from the alg {key.algorithm} of the key")
        try:
            claims = jwt.decode(
                token,
                key=key.public_key,
                algorithms=[algorithm],
                audience=audience_url,
                issuer=client.iss,
                # Time claims are checked in _check_times against the caller's `now`, not PyJWT's clock.
                options={
                    "require": list(REQUIRED_CLAIMS),
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.InvalidAudienceError as error:
            raise ClientAuthError("aud is not the URL of the endpoint called") from error
        except PyJWTError as error:
            raise ClientAuthError(f"{error.__class__.__name__}: {error}") from error
        self._check_times(claims, now)
        _check_tenant(claims, client)
        self._check_not_replayed(claims, now)
        return claims

    def _check_times(self, claims: dict[str, Any], now: float) -> None:
        """exp must be in the future and iat (and nbf, which Epic sends) not in the future, within the leeway."""
        exp, iat, nbf = claims["exp"], claims["iat"], claims.get("nbf")
        if not _is_numeric_date(exp) or not _is_numeric_date(iat) or not (nbf is None or _is_numeric_date(nbf)):
            raise ClientAuthError("exp, iat and nbf must be NumericDate values")
        if exp + self._leeway_seconds <= now:
            raise ClientAuthError("token expired (exp)")
        if iat - self._leeway_seconds > now:
            raise ClientAuthError("token issued in the future (iat)")
        if nbf is not None and nbf - self._leeway_seconds > now:
            raise ClientAuthError("token not yet valid (nbf)")

    def _check_not_replayed(self, claims: dict[str, Any], now: float) -> None:
        """Claim the jti until the token can no longer be accepted (exp plus leeway)."""
        jti = claims["jti"]
        if not isinstance(jti, str) or not jti:
            raise ClientAuthError("jti must be a non-empty string")
        expires_at = math.ceil(claims["exp"] + self._leeway_seconds)
        try:
            first_use = self._replay_store.claim(claims["iss"], jti, expires_at, math.floor(now))
        except SQLAlchemyError as error:
            # Fail closed: a token we cannot prove unused is not accepted.
            raise ClientAuthError(f"replay store unavailable: {error.__class__.__name__}") from error
        if not first_use:
            raise ClientAuthError("jti already used (replay)")


def _checked_header(token: str) -> dict[str, Any]:
    """Read the JOSE header and enforce alg, typ and kid before any key is touched."""
    try:
        header = jwt.get_unverified_header(token)
    except PyJWTError as error:
        raise ClientAuthError(f"malformed token: {error.__class__.__name__}") from error
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or not algorithm:
        raise ClientAuthError("alg missing from token header")
    if algorithm.upper().startswith(FORBIDDEN_ALGORITHM_PREFIXES):
        raise ClientAuthError(f"alg {algorithm} is forbidden (none and HMAC are never accepted)")
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.upper() != "JWT":
        raise ClientAuthError("typ in token header is not JWT")
    if not isinstance(header.get("kid"), str) or not header["kid"]:
        raise ClientAuthError("kid missing from token header")
    jku = header.get("jku")
    if jku is not None and not isinstance(jku, str):
        raise ClientAuthError("jku in token header is not a string")
    return header


def _unverified_claims(token: str) -> dict[str, Any]:
    """Read the payload without verifying it, only to learn which client's keys to verify with."""
    try:
        return jwt.decode(token, options={"verify_signature": False})
    except PyJWTError as error:
        raise ClientAuthError(f"malformed token payload: {error.__class__.__name__}") from error


def _check_tenant(claims: dict[str, Any], client: TrustedClient) -> None:
    """When tenants are configured for the client, the token's tenant must be one of them."""
    tenant = claims.get("tenant")
    if client.tenants and not (isinstance(tenant, str) and tenant in client.tenants):
        raise ClientAuthError("tenant is not allow-listed for this client")


def _is_numeric_date(value: Any) -> bool:
    """RFC 7519 NumericDate: a JSON number (bool is an int in Python, and is not one)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
