"""CORS for browser-based CDS clients such as the CDS Hooks sandbox.

CDS Hooks 2.0 §Cross-Origin Resource Sharing (checklist O): answer preflights, allow
the Authorization and Content-Type headers, and name allowed origins explicitly.
Clients authenticate with a bearer JWT, not cookies, so credentials are never
allowed and no wildcard is ever sent.
"""

from __future__ import annotations

from flask import Flask, Response, request

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type"
# How long a browser may cache a preflight answer (seconds).
PREFLIGHT_MAX_AGE_SECONDS = "600"


def init_app(app: Flask) -> None:
    """Add CORS headers for the origins in CORS_ORIGINS, and nothing for others."""
    allowed = frozenset(app.config["CORS_ORIGINS"])

    @app.after_request
    def _cors(response: Response) -> Response:
        response.vary.add("Origin")
        origin = request.headers.get("Origin")
        if origin is None or origin.rstrip("/") not in allowed:
            return response
        response.headers["Access-Control-Allow-Origin"] = origin
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE_SECONDS
        return response
