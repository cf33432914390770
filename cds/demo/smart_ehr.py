"""A mock SMART on FHIR EHR for the worksheet's demo and browser tests.

It plays the EHR's part of a SMART App Launch (hl7.org/fhir/smart-app-launch, EHR
launch): it mints launch contexts for patients, publishes
`.well-known/smart-configuration`, runs the authorization-code flow with PKCE S256
(auto-approving, as a clinician already signed in to the EHR would), issues bearer
tokens bound to one patient, and serves FHIR by proxying to a real FHIR server
(sekmet-fhir) only for requests that carry one of its tokens and stay in that patient's
compartment. So `iss` is this mock's FHIR base, and the worksheet's token does the
work an EHR's token does.

Demo simplifications, none of which the worksheet relies on: no login page, a launch
id stays valid while the mock runs, and tokens live in memory. It listens on
127.0.0.1 only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests
from flask import Flask, Response, jsonify, redirect, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

# Lifetimes: a code is traded within seconds; the token outlives a worksheet session.
CODE_SECONDS = 60
TOKEN_SECONDS = 3600
UPSTREAM_TIMEOUT_SECONDS = 60
LOOPBACK = "127.0.0.1"
# Resources outside the patient compartment that a patient's record references.
SHARED_TYPES = ("Medication",)
SCOPES = {"v2": ["launch", "openid", "fhirUser", "patient/*.rs"], "v1": ["launch", "openid", "fhirUser", "patient/*.read"]}


@dataclass(frozen=True)
class MockEhrSettings:
    """Where the mock listens, the FHIR server behind it, and the one app registered with it."""

    base_url: str
    upstream_fhir: str
    upstream_token: str
    client_id: str
    redirect_uri: str
    # "v2" or "v1": which SMART scopes the configuration advertises and the EHR grants.
    smart_version: str = "v2"


@dataclass
class _Grant:
    patient_id: str
    expires_at: float
    challenge: str = ""
    used: bool = False


@dataclass
class MockEhr:
    """The mock EHR's state (launches, codes, tokens) and its Flask app."""

    settings: MockEhrSettings
    _launches: dict[str, str] = field(default_factory=dict)
    _codes: dict[str, _Grant] = field(default_factory=dict)
    _tokens: dict[str, _Grant] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def fhir_base(self) -> str:
        """The FHIR base URL the EHR launches apps with (`iss`)."""
        return self.settings.base_url + "/fhir"

    def new_launch(self, patient_id: str) -> str:
        """Mint an opaque launch id whose context is this patient."""
        launch_id = secrets.token_urlsafe(16)
        with self._lock:
            self._launches[launch_id] = patient_id
        return launch_id

    def launch_url(self, app_launch_url: str, launch_id: str) -> str:
        """The URL the EHR opens to launch an app: its launch URL with `iss` and `launch`."""
        return f"{app_launch_url}?{urlencode({'iss': self.fhir_base, 'launch': launch_id})}"

    def smart_configuration(self) -> dict[str, Any]:
        """SMART App Launch §Metadata: the endpoints and what this mock supports."""
        version = self.settings.smart_version
        return {
            "authorization_endpoint": f"{self.settings.base_url}/auth/authorize",
            "token_endpoint": f"{self.settings.base_url}/auth/token",
            "grant_types_supported": ["authorization_code"],
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": SCOPES[version],
            "capabilities": [
                "launch-ehr",
                "client-public",
                "context-ehr-patient",
                f"permission-{version}",
            ],
        }

    def authorize(self, args: dict[str, str]) -> Response:
        """The authorization endpoint: check the request, then send the code to the app."""
        settings = self.settings
        if args.get("client_id") != settings.client_id or args.get("redirect_uri") != settings.redirect_uri:
            # RFC 6749 §4.1.2.1: never redirect to an unchecked redirect_uri.
            return _oauth_error("invalid_request", "unknown client_id or redirect_uri", 400)
        granted = set(SCOPES[settings.smart_version])
        checks = (
            (args.get("response_type") == "code", "unsupported_response_type"),
            (args.get("aud") == self.fhir_base, "invalid_request"),
            (args.get("code_challenge_method") == "S256" and bool(args.get("code_challenge")), "invalid_request"),
            (set(args.get("scope", "").split()) <= granted and "launch" in args.get("scope", "").split(), "invalid_scope"),
            (bool(args.get("state")), "invalid_request"),
        )
        with self._lock:
            patient_id = self._launches.get(args.get("launch", ""))
        failed = next((error for ok, error in checks if not ok), None) or (None if patient_id else "invalid_request")
        if failed is not None:
            return redirect(f"{settings.redirect_uri}?{urlencode({'error': failed, 'state': args.get('state', '')})}")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Grant(patient_id or "", time.monotonic() + CODE_SECONDS, args["code_challenge"])
        return redirect(f"{settings.redirect_uri}?{urlencode({'code': code, 'state': args['state']})}")

    def token(self, form: dict[str, str]) -> Response:
        """The token endpoint: trade a code (once, with its PKCE verifier) for a patient-bound token.

        The app is a public client (SMART "client-public"): it names itself in the form.
        """
        client_id = form.get("client_id")
        with self._lock:
            grant = self._codes.get(form.get("code", ""))
            valid = grant is not None and not grant.used and grant.expires_at > time.monotonic()
            if grant is not None:
                grant.used = True
        if form.get("grant_type") != "authorization_code":
            return _oauth_error("unsupported_grant_type", "only authorization_code", 400)
        if client_id != self.settings.client_id or form.get("redirect_uri") != self.settings.redirect_uri:
            return _oauth_error("invalid_client", "unknown client or redirect_uri", 401)
        if not valid or grant is None or not hmac.compare_digest(_s256(form.get("code_verifier", "")), grant.challenge):
            return _oauth_error("invalid_grant", "code unknown, used, expired, or PKCE verifier wrong", 400)
        access_token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[access_token] = _Grant(grant.patient_id, time.monotonic() + TOKEN_SECONDS)
        body = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_SECONDS,
            "scope": " ".join(SCOPES[self.settings.smart_version]),
            "patient": grant.patient_id,
        }
        response = jsonify(body)
        response.headers["Cache-Control"] = "no-store"
        return response

    def _token_patient(self, authorization: str) -> str | None:
        scheme, _, token = authorization.partition(" ")
        with self._lock:
            grant = self._tokens.get(token) if scheme.lower() == "bearer" else None
        return grant.patient_id if grant and grant.expires_at > time.monotonic() else None

    def fhir(self, path: str, args: dict[str, str], query_string: bytes, authorization: str) -> Response:
        """Proxy a FHIR read or search to the upstream server, inside the token's patient compartment."""
        if path != "metadata":
            patient_id = self._token_patient(authorization)
            if patient_id is None:
                return _outcome(401, "login", "a valid bearer token is required")
            resource_type, _, resource_id = path.partition("/")
            own_patient = resource_id == patient_id if resource_type == "Patient" else args.get("patient") == patient_id
            if not (own_patient or (resource_type in SHARED_TYPES and resource_id)):
                return _outcome(403, "forbidden", "outside the launched patient's compartment")
        with requests.Session() as session:
            session.trust_env = False
            upstream = session.get(
                f"{self.settings.upstream_fhir}/{path}" + (f"?{query_string.decode()}" if query_string else ""),
                headers={"Authorization": f"Bearer {self.settings.upstream_token}", "Accept": "application/fhir+json"},
                timeout=UPSTREAM_TIMEOUT_SECONDS,
            )
        # Links and fullUrls name this mock, so an app follows `next` pages through it.
        body = upstream.text.replace(self.settings.upstream_fhir, self.fhir_base)
        return Response(body, status=upstream.status_code, content_type="application/fhir+json")


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def _oauth_error(error: str, description: str, status: int) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _outcome(status: int, code: str, text: str) -> Response:
    body = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code, "diagnostics": text}]}
    response = jsonify(body)
    response.status_code = status
    return response


def create_mock_ehr_app(ehr: MockEhr) -> Flask:
    """The mock EHR's HTTP endpoints."""
    app = Flask(__name__)

    @app.get("/fhir/.well-known/smart-configuration")
    def smart_configuration() -> Response:
        return jsonify(ehr.smart_configuration())

    @app.get("/auth/authorize")
    def authorize() -> Response:
        return ehr.authorize(request.args.to_dict())

    @app.post("/auth/token")
    def token() -> Response:
        return ehr.token(request.form.to_dict())

    @app.get("/fhir/<path:path>")
    def fhir(path: str) -> Response:
        return ehr.fhir(path, request.args.to_dict(), request.query_string, request.headers.get("Authorization", ""))

    return app


class _QuietRequestHandler(WSGIRequestHandler):
    """No request lines: they would print launch ids, codes and patient ids in search URLs."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log nothing."""


def serve_in_thread(app: Flask, port: int) -> BaseWSGIServer:
    """Serve `app` on 127.0.0.1:`port` from a daemon thread; `shutdown()` stops it."""
    server = make_server(LOOPBACK, port, app, threaded=True, request_handler=_QuietRequestHandler)
    threading.Thread(target=server.serve_forever, name="mock-smart-ehr", daemon=True).start()
    return server
