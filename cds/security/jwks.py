"""Parse a JWK Set (RFC 7517) into verification keys indexed by kid."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from jwt import PyJWK
from jwt.exceptions import PyJWTError

# Asymmetric key types only: CDS Hooks 2.0 §"JWT Signing Algorithm" forbids symmetric keys.
SIGNING_KEY_TYPES = frozenset({"EC", "RSA"})
# JWK members that only a private or secret key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
PRIVATE_KEY_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


@dataclass(frozen=True)
class SigningKey:
    """A client's public key, and the one algorithm its JWK pins it to when it has an "alg" member."""

    public_key: Any
    algorithm: str | None


@dataclass(frozen=True)
class ParsedJwkSet:
    """Usable public signing keys by kid, and why each other entry was left out."""

    keys: dict[str, SigningKey]
    rejected: tuple[str, ...]


class JwkSetError(ValueError):
    """The document is not a JWK Set at all."""


def parse_jwk_set(document: Any) -> ParsedJwkSet:
    """Keep the public EC/RSA signature keys that have a unique kid; list why others were left out.

    CDS Hooks 2.0 §"Trusting CDS Clients": the service picks the key by the kid in the
    token header, and kid MUST be unique in the set, so a duplicated kid is ambiguous
    and neither copy is trusted.
    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwkSetError("not a JWK Set: expected an object with a 'keys' array")
    entries = document["keys"]
    kid_counts = Counter(entry.get("kid") for entry in entries if isinstance(entry, dict))
    keys: dict[str, SigningKey] = {}
    rejected: list[str] = []
    for position, entry in enumerate(entries):
        problem = _entry_problem(entry, kid_counts)
        if problem is None:
            try:
                keys[entry["kid"]] = SigningKey(public_key=PyJWK(entry).key, algorithm=entry.get("alg"))
            except PyJWTError as error:
                problem = f"unusable key: {error.__class__.__name__}"
        if problem is not None:
            rejected.append(f"keys[{position}]: {problem}")
    return ParsedJwkSet(keys=keys, rejected=tuple(rejected))


def _entry_problem(entry: Any, kid_counts: Counter) -> str | None:
    """Say why one JWK cannot verify client signatures, or None when it can."""
    if not isinstance(entry, dict):
        return "not a JSON object"
    kid = entry.get("kid")
    if not isinstance(kid, str) or not kid:
        return "no kid"
    if kid_counts[kid] > 1:
        return f"kid {kid!r} is not unique"
    if entry.get("kty") not in SIGNING_KEY_TYPES:
        return f"kty {entry.get('kty')!r} is not EC or RSA"
    if PRIVATE_KEY_MEMBERS & entry.keys():
        return "contains private key material"
    if entry.get("use", "sig") != "sig":
        return f"use {entry.get('use')!r} is not sig"
    return None
