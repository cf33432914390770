"""CDS client authentication (CDS Hooks 2.0 §"Trusting CDS Clients"): init_app(app) wires it into the service."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from cds.security.clients import TrustedClient, load_trusted_clients
from cds.security.errors import ClientConfigError
from cds.security.keys import SigningKeyResolver
from cds.security.policy import SecurityPolicy, load_policy
from cds.security.replay import ReplayStore
from cds.security.request_guard import ClientJwtGuard
from cds.security.verify import ClientJwtVerifier

AUTH_MODES = ("on", "off")

log = logging.getLogger("cds.security")


def init_app(app: Flask) -> None:
    """Verify the client JWT on every CDS Hooks endpoint unless AUTH is "off".

    Config: AUTH ("on" by default), CLIENTS (trusted clients file), PUBLIC_BASE_URL,
    REPLAY_DB (SQLite file or database URL), JWT_LEEWAY_SECONDS.

    :raise ClientConfigError: at start-up, when the configuration cannot be trusted.
    """
    policy = load_policy()
    app.config.setdefault("AUTH", "on")
    app.config.setdefault("JWT_LEEWAY_SECONDS", policy.clock_leeway_seconds)
    mode = app.config["AUTH"]
    if mode not in AUTH_MODES:
        raise ClientConfigError(f"TRIALCDS_AUTH must be one of {AUTH_MODES}, not {mode!r}")
    if mode == "off":
        log.warning("client authentication is OFF (TRIALCDS_AUTH=off): any caller is trusted; local demos only")
        return
    if not app.config.get("PUBLIC_BASE_URL"):
        log.warning("TRIALCDS_PUBLIC_BASE_URL is not set: JWT aud is checked against the request's Host header")
    verifier = ClientJwtVerifier(
        clients=_trusted_clients(app, policy),
        keys=SigningKeyResolver(policy),
        replay_store=ReplayStore(_replay_database_url(app, policy), policy),
        leeway_seconds=app.config["JWT_LEEWAY_SECONDS"],
    )
    app.before_request(ClientJwtGuard(verifier, policy))


def _trusted_clients(app: Flask, policy: SecurityPolicy) -> dict[str, TrustedClient]:
    """Load the clients file named by CLIENTS; without one, no caller could ever be trusted."""
    clients_file = app.config.get("CLIENTS")
    if not clients_file:
        raise ClientConfigError(
            "TRIALCDS_CLIENTS is not set: name the trusted clients JSON file, or set TRIALCDS_AUTH=off for a local demo"
        )
    return load_trusted_clients(clients_file, policy)


def _replay_database_url(app: Flask, policy: SecurityPolicy) -> str:
    """REPLAY_DB as a database URL; a plain path, or nothing, means a SQLite file (default: instance folder)."""
    configured = app.config.get("REPLAY_DB")
    if configured and "://" in configured:
        return configured
    database_file = Path(configured) if configured else Path(app.instance_path) / policy.replay_db_filename
    database_file.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{database_file.resolve()}"
