"""The worksheet as a SMART App Launch client (EHR launch, authorization code + PKCE).

SMART App Launch 2.x (hl7.org/fhir/smart-app-launch): discovery at
`{iss}/.well-known/smart-configuration`, an authorization request with `launch`,
`aud` = iss, `state` and a PKCE S256 challenge, and a token request that returns the
access token and the launch's `patient`. Two HTTP calls and a hash: written here with
requests rather than fhirclient, whose SMART support discovers endpoints from the
CapabilityStatement only and logs the authorization parameters at debug level
(docs/design.md, "Worksheet").

Every failure is a `LaunchError` whose message a coordinator can read and which holds
no token, code or patient data.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from cds.http.models import FHIR_ID

# SMART App Launch 2.x scopes: the launch context, the user's identity, and read+search
# of the patient's data. SMART 1.0 servers know only the `.read` form.
SCOPES_V2 = "launch openid fhirUser patient/*.rs"
SCOPES_V1 = "launch openid fhirUser patient/*.read"
# PKCE verifier: 64 random bytes -> 86 characters (RFC 7636 §4.1 allows 43 to 128).
_VERIFIER_BYTES = 64
_DISCOVERY_PATH = "/.well-known/smart-configuration"


class LaunchError(Exception):
    """A launch cannot go on; `status` is the HTTP status of the page that says so."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


@dataclass(frozen=True)
class HttpLimits:
    """Connect and read timeouts for the calls to the EHR (the service's FHIR timeouts)."""

    connect_seconds: float
    read_seconds: float


@dataclass(frozen=True)
class SmartConfiguration:
    """What the worksheet reads from the EHR's `.well-known/smart-configuration`."""

    authorization_endpoint: str
    token_endpoint: str
    scopes: str


@dataclass(frozen=True)
class TokenGrant:
    """The token response: the access token (never logged) and the launch's patient."""

    access_token: str
    patient_id: str
    expires_in: int | None


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy or .netrc sees the code, the verifier or the token
    return session


def _http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def scopes_for(configuration: Mapping[str, Any]) -> str:
    """The v2 scopes, unless the server advertises SMART v1 permissions only.

    SMART 2.x servers list `permission-v2` in `capabilities` (and v2 scopes such as
    `patient/*.rs` in `scopes_supported`); a server that lists only `permission-v1`
    or only `.read`-style scopes gets `patient/*.read`.
    """
    capabilities = configuration.get("capabilities")
    capabilities = set(capabilities) if isinstance(capabilities, list) else set()
    supported = configuration.get("scopes_supported")
    scopes = [s for s in supported if isinstance(s, str)] if isinstance(supported, list) else []
    v2 = "permission-v2" in capabilities or any(s.endswith((".rs", ".r", ".cruds")) for s in scopes)
    v1 = "permission-v1" in capabilities or any(s.endswith((".read", ".write", ".*")) for s in scopes)
    return SCOPES_V1 if v1 and not v2 else SCOPES_V2


def discover(iss: str, limits: HttpLimits) -> SmartConfiguration:
    """Read and check the EHR's SMART configuration.

    :raise LaunchError: unreachable, not JSON, or without usable endpoints (502).
    """
    unavailable = "The EHR's SMART configuration could not be read"
    try:
        with _session() as session:
            response = session.get(
                iss + _DISCOVERY_PATH,
                headers={"Accept": "application/json"},
                timeout=(limits.connect_seconds, limits.read_seconds),
                allow_redirects=False,
            )
    except requests.RequestException as exc:
        raise LaunchError(502, unavailable, f"The EHR did not answer ({type(exc).__name__}).") from exc
    if response.status_code != 200:
        raise LaunchError(502, unavailable, f"The EHR answered HTTP {response.status_code}.")
    try:
        configuration = response.json()
    except ValueError as exc:
        raise LaunchError(502, unavailable, "The EHR's answer is not JSON.") from exc
    if not isinstance(configuration, dict):
        raise LaunchError(502, unavailable, "The EHR's answer is not a JSON object.")
    endpoints = configuration.get("authorization_endpoint"), configuration.get("token_endpoint")
    if not all(_http_url(url) for url in endpoints):
        raise LaunchError(502, unavailable, "It names no authorization and token endpoints.")
    methods = configuration.get("code_challenge_methods_supported")
    if isinstance(methods, list) and "S256" not in methods:
        raise LaunchError(502, unavailable, "The EHR does not support PKCE with S256, which the worksheet requires.")
    return SmartConfiguration(endpoints[0], endpoints[1], scopes_for(configuration))


def new_verifier() -> str:
    """A fresh PKCE code verifier (RFC 7636 §4.1)."""
    return secrets.token_urlsafe(_VERIFIER_BYTES)


def challenge(verifier: str) -> str:
    """The S256 code challenge of a verifier (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def authorization_url(
    configuration: SmartConfiguration,
    *,
    client_id: str,
    redirect_uri: str,
    launch: str,
    state: str,
    verifier: str,
    aud: str,
) -> str:
    """The EHR authorization request the browser is sent to (SMART App Launch §Obtain authorization code)."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "launch": launch,
            "scope": configuration.scopes,
            "state": state,
            "aud": aud,
            "code_challenge": challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if urlsplit(configuration.authorization_endpoint).query else "?"
    return f"{configuration.authorization_endpoint}{separator}{query}"


def exchange_code(
    token_endpoint: str,
    *,
    code: str,
    redirect_uri: str,
    client_id: str,
    client_secret: str | None,
    verifier: str,
    limits: HttpLimits,
) -> TokenGrant:
    """Trade the authorization code for an access token and the launch's patient.

    :raise LaunchError: the endpoint fails or refuses, or its answer has no bearer
        token or no patient (502).
    """
    failed = "The EHR did not issue an access token"
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    auth = None
    if client_secret:
        auth = (client_id, client_secret)  # client_secret_basic (SMART: confidential symmetric client)
    else:
        form["client_id"] = client_id  # a public client names itself in the form
    try:
        with _session() as session:
            response = session.post(
                token_endpoint,
                data=form,
                auth=auth,
                headers={"Accept": "application/json"},
                timeout=(limits.connect_seconds, limits.read_seconds),
                allow_redirects=False,
            )
    except requests.RequestException as exc:
        raise LaunchError(502, failed, f"The token endpoint did not answer ({type(exc).__name__}).") from exc
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict):
        error = body.get("error") if isinstance(body, dict) else None
        detail = f" ({error})" if isinstance(error, str) and error.replace("_", "").isalnum() else ""
        raise LaunchError(502, failed, f"The token endpoint answered HTTP {response.status_code}{detail}.")
    token, token_type, patient = body.get("access_token"), body.get("token_type"), body.get("patient")
    if not isinstance(token, str) or not token or not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise LaunchError(502, failed, "The token endpoint's answer holds no bearer access token.")
    if not isinstance(patient, str) or not FHIR_ID.fullmatch(patient):
        raise LaunchError(
            502, failed, "The EHR gave no patient with the token: open the worksheet from a patient's chart."
        )
    expires_in = body.get("expires_in")
    return TokenGrant(token, patient, expires_in if isinstance(expires_in, int) and expires_in > 0 else None)
