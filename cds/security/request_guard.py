"""Require a verified client JWT on every CDS Hooks endpoint and answer a generic 401 otherwise."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from flask import Response, current_app, jsonify, request

from cds.security.errors import ClientAuthError
from cds.security.policy import SecurityPolicy
from cds.security.verify import ClientJwtVerifier

log = logging.getLogger("cds.security")

# Discovery, every service and every feedback endpoint live under this path (CDS Hooks 2.0 §"Discovery").
CDS_SERVICES_PATH = "/cds-services"
# The same body for every failure: CDS Hooks best practices, "401 with no detail".
UNAUTHORIZED_BODY = {"error": "unauthorized", "message": "client authentication failed"}


class ClientJwtGuard:
    """A before_request hook; CDS Hooks 2.0 has the client send its JWT on every call, discovery included."""

    def __init__(self, verifier: ClientJwtVerifier, policy: SecurityPolicy) -> None:
        self._verifier = verifier
        self._policy = policy

    def __call__(self) -> Response | None:
        """Let the request through (None) or answer 401; CORS preflight carries no token, so it passes."""
        if request.method == "OPTIONS" or not _is_cds_endpoint(request.path):
            return None
        try:
            token = _bearer_token(request.headers.get("Authorization"))
            self._verifier.verify_client_jwt(token, _audience_url(), datetime.now(timezone.utc))
        except ClientAuthError as error:
            self._log_rejection(error)
            response = jsonify(UNAUTHORIZED_BODY)
            response.status_code = 401
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        return None

    def _log_rejection(self, error: ClientAuthError) -> None:
        """Log the precise reason, iss and jti as fields (cds.log's JSON lines); never the token or the body."""
        limit = self._policy.log_claim_max_chars
        log.warning(
            "client authentication rejected",
            extra={
                "fields": {
                    "reason": error.reason,
                    "iss": error.iss[:limit] if error.iss else None,
                    "jti": error.jti[:limit] if error.jti else None,
                    "path": request.path,
                }
            },
        )


def _is_cds_endpoint(path: str) -> bool:
    """Guard the whole /cds-services tree, so unknown service ids are not discoverable without a token."""
    return path == CDS_SERVICES_PATH or path.startswith(CDS_SERVICES_PATH + "/")


def _bearer_token(authorization: str | None) -> str:
    """Take the JWT from "Authorization: Bearer <jwt>" (scheme case-insensitive, RFC 6750 §2.1)."""
    if not authorization:
        raise ClientAuthError("no Authorization header")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ClientAuthError("Authorization header is not a Bearer token")
    return token.strip()


def _audience_url() -> str:
    """The URL the client called; behind a proxy, the configured public base URL plus the path.

    CDS Hooks 2.0: aud MUST be the URL of the endpoint being invoked.
    """
    public_base_url = current_app.config.get("PUBLIC_BASE_URL")
    if public_base_url:
        return public_base_url.rstrip("/") + request.path
    return request.base_url
