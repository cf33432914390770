"""Load the trusted CDS clients (TRIALCDS_CLIENTS) and fail fast, naming the file and entry, when malformed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cds.security.errors import ClientConfigError
from cds.security.jwks import JwkSetError, SigningKey, parse_jwk_set
from cds.security.policy import SecurityPolicy


@dataclass(frozen=True)
class TrustedClient:
    """One CDS client allowed to call the service (CDS Hooks 2.0 §"Trusting CDS Clients": allowlist of iss and jku).

    `inline_keys` are keys pinned in the configuration (a JWK Set agreed out-of-band);
    `allowed_jkus` are the HTTPS URLs its keys may be fetched from, the only ones ever
    fetched for it. A client has either or both. An empty tenants set means the client
    sends no tenant we check.
    """

    iss: str
    algorithms: frozenset[str]
    allowed_jkus: tuple[str, ...]
    inline_keys: Mapping[str, SigningKey] | None
    tenants: frozenset[str]


class _ClientEntry(BaseModel):
    """One entry of the clients file as written; misspelt keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    iss: str = Field(min_length=1)
    jku: str | list[str] | None = None
    jwks: dict[str, Any] | None = None
    tenant: str | list[str] | None = None
    algorithms: list[str] | None = None


def load_trusted_clients(path: str | Path, policy: SecurityPolicy) -> dict[str, TrustedClient]:
    """Read the clients file into TrustedClient objects keyed by iss.

    :raise ClientConfigError: naming the file and the entry, for any problem.
    """
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ClientConfigError(f"{path}: cannot read trusted clients file ({error.strerror})") from error
    except ValueError as error:
        raise ClientConfigError(f"{path}: not valid JSON ({error})") from error
    if not isinstance(document, list) or not document:
        raise ClientConfigError(f"{path}: expected a non-empty JSON array of trusted clients")
    clients: dict[str, TrustedClient] = {}
    for position, raw_entry in enumerate(document):
        label = f"{path}: entry {position}"
        client = _build_client(raw_entry, label, policy)
        if client.iss in clients:
            raise ClientConfigError(f"{label}: iss {client.iss!r} is configured twice")
        clients[client.iss] = client
    return clients


def _build_client(raw_entry: Any, label: str, policy: SecurityPolicy) -> TrustedClient:
    """Validate one entry; every message starts with the file and entry position."""
    try:
        entry = _ClientEntry.model_validate(raw_entry)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}" for e in error.errors())
        raise ClientConfigError(f"{label}: {problems}") from error
    label = f"{label} (iss {entry.iss!r})"
    if entry.jku is None and entry.jwks is None:
        raise ClientConfigError(f"{label}: give 'jku', 'jwks' or both")
    return TrustedClient(
        iss=entry.iss,
        algorithms=_algorithms(entry.algorithms, label, policy),
        allowed_jkus=_jkus(entry.jku, label),
        inline_keys=_inline_keys(entry.jwks, label) if entry.jwks is not None else None,
        tenants=_tenants(entry.tenant, label),
    )


def _jkus(jku: str | list[str] | None, label: str) -> tuple[str, ...]:
    """The client's jku allow-list: one URL or a list (a client that moved its JWK Set lists both while it moves)."""
    if jku is None:
        return ()
    urls = [jku] if isinstance(jku, str) else jku
    if not urls:
        raise ClientConfigError(f"{label}: jku must be an https:// URL or a non-empty list of them")
    return tuple(_https_url(url, label) for url in urls)


def _algorithms(configured: list[str] | None, label: str, policy: SecurityPolicy) -> frozenset[str]:
    """Allow the policy default, or a configured subset of the permitted algorithms (never none or HS*)."""
    if configured is None:
        return frozenset(policy.default_algorithms)
    not_permitted = sorted(set(configured) - policy.permitted_algorithms)
    if not configured or not_permitted:
        raise ClientConfigError(
            f"{label}: algorithms must be a non-empty subset of {sorted(policy.permitted_algorithms)}; "
            f"not permitted: {not_permitted}"
        )
    return frozenset(configured)


def _https_url(url: str, label: str) -> str:
    """Accept only an absolute HTTPS jku, so key fetches cannot be downgraded or aimed at local files."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise ClientConfigError(f"{label}: jku must be an absolute https:// URL")
    return url


def _inline_keys(jwks: dict[str, Any], label: str) -> dict[str, SigningKey]:
    """Parse an inline JWK Set strictly: a key we would silently skip is a configuration mistake."""
    try:
        parsed = parse_jwk_set(jwks)
    except JwkSetError as error:
        raise ClientConfigError(f"{label}: jwks is {error}") from error
    if parsed.rejected:
        raise ClientConfigError(f"{label}: jwks {'; '.join(parsed.rejected)}")
    if not parsed.keys:
        raise ClientConfigError(f"{label}: jwks has no keys")
    return parsed.keys


def _tenants(tenant: str | list[str] | None, label: str) -> frozenset[str]:
    """Normalise 'tenant' (one id or a list, e.g. several Oracle Health domains under one iss)."""
    if tenant is None:
        return frozenset()
    tenants = [tenant] if isinstance(tenant, str) else tenant
    if not tenants or not all(tenants):
        raise ClientConfigError(f"{label}: tenant must be a non-empty string or a non-empty list of them")
    return frozenset(tenants)
