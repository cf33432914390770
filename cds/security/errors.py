"""Errors of client authentication: one for a rejected token, one for a bad trust configuration."""

from __future__ import annotations


class ClientAuthError(Exception):
    """A CDS client JWT was rejected.

    The reason is precise and meant for the log only; the client always gets the same
    generic 401 (CDS Hooks best practices: "401 with no detail"). iss and jti are kept
    for the log line because they identify the caller without revealing the token.
    """

    def __init__(self, reason: str, *, iss: str | None = None, jti: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.iss = iss
        self.jti = jti


class ClientConfigError(Exception):
    """The trusted-client configuration is unusable; raised at start-up so the service never runs half-trusted."""
