"""Find the public key that signed a client JWT: a pinned JWK Set, or the client's allow-listed jku."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

import requests

from cds.security.clients import TrustedClient
from cds.security.errors import ClientAuthError
from cds.security.jwks import SigningKey, parse_jwk_set
from cds.security.policy import SecurityPolicy


@dataclass(frozen=True)
class _CachedKeys:
    """Keys fetched from one jku, and when (epoch seconds)."""

    keys: dict[str, SigningKey]
    fetched_at: float


class SigningKeyResolver:
    """Resolve (client, kid) to a key: a pinned key first, else one fetched from an allow-listed jku.

    CDS Hooks 2.0 §"Trusting CDS Clients" says services SHOULD keep an allowlist of iss
    and jku URLs; a jku taken from the token itself would let anyone supply their own
    key (and make us fetch any URL), so only a URL on the client's allow-list is ever
    fetched. A kid that names a pinned key needs no fetch at all: the signature is
    checked against that key whatever URL the header names (the CDS Hooks sandbox
    always sends its jku).
    """

    def __init__(self, policy: SecurityPolicy, session: requests.Session | None = None) -> None:
        self._policy = policy
        self._session = session or requests.Session()
        self._cache: dict[str, _CachedKeys] = {}
        self._lock = threading.Lock()

    def resolve(self, client: TrustedClient, kid: str, header_jku: str | None, now: float) -> SigningKey:
        """Return the key named by kid; refetch a jku once when the kid is unknown (key rotation).

        Order: the client's pinned keys; then the header's jku if it is on the client's
        allow-list (off it: rejected, never fetched); with no jku in the header, the
        allow-listed URLs in turn.

        :raise ClientAuthError: jku not allow-listed, kid unknown, or the JWK Set unavailable.
        """
        if client.inline_keys is not None and kid in client.inline_keys:
            return client.inline_keys[kid]
        if header_jku is not None and header_jku not in client.allowed_jkus:
            raise ClientAuthError("jku in token header is not allow-listed for this iss")
        first_failure: ClientAuthError | None = None
        for jku in (header_jku,) if header_jku is not None else client.allowed_jkus:
            try:
                keys = self._keys_of(jku, kid, now)
            except ClientAuthError as failure:
                first_failure = first_failure or failure
                continue
            if kid in keys:
                return keys[kid]
        raise first_failure or ClientAuthError("kid not found in the client's JWK Set")

    def _keys_of(self, jku: str, kid: str, now: float) -> dict[str, SigningKey]:
        """The keys of one allow-listed jku: cached for an hour, fetched again once for an unknown kid."""
        with self._lock:
            cached = self._cache.get(jku)
            if (
                cached is None
                or now - cached.fetched_at >= self._policy.jwks_cache_seconds
                or (kid not in cached.keys and now - cached.fetched_at >= self._policy.jwks_min_refetch_seconds)
            ):
                cached = self._fetch(jku, now)
            return cached.keys

    def _fetch(self, jku: str, now: float) -> _CachedKeys:
        """GET the JWK Set over HTTPS without following redirects (a redirect could leave the allowlist)."""
        try:
            with self._session.get(
                jku,
                timeout=self._policy.jwks_fetch_timeout_seconds,
                allow_redirects=False,
                stream=True,
                headers={"Accept": "application/json"},
            ) as response:
                if response.status_code != 200:
                    raise ClientAuthError(f"jku fetch answered HTTP {response.status_code}")
                body = response.raw.read(self._policy.jwks_max_bytes + 1, decode_content=True)
        except requests.RequestException as error:
            raise ClientAuthError(f"jku fetch failed: {error.__class__.__name__}") from error
        if len(body) > self._policy.jwks_max_bytes:
            raise ClientAuthError(f"jku document exceeds {self._policy.jwks_max_bytes} bytes")
        try:
            parsed = parse_jwk_set(json.loads(body))
        except ValueError as error:  # invalid JSON, or JwkSetError
            raise ClientAuthError(f"jku document is not a JWK Set: {error.__class__.__name__}") from error
        cached = _CachedKeys(keys=parsed.keys, fetched_at=now)
        self._cache[jku] = cached
        return cached
