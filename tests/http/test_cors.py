"""CORS for browser-based clients such as the CDS Hooks sandbox (checklist O)."""

from __future__ import annotations

import pytest
from hook_settings import SERVICE_URL

SANDBOX = "https://sandbox.cds-hooks.org"


@pytest.mark.parametrize("path", ["/cds-services", SERVICE_URL, SERVICE_URL + "/feedback"])
def test_preflight_from_the_sandbox_is_allowed(client, path):
    response = client.options(
        path,
        headers={
            "Origin": SANDBOX,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == SANDBOX
    allowed_headers = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed_headers and "content-type" in allowed_headers
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Origin" in response.headers["Vary"]


def test_actual_request_from_the_sandbox_carries_the_origin(client):
    response = client.get("/cds-services", headers={"Origin": SANDBOX})
    assert response.headers["Access-Control-Allow-Origin"] == SANDBOX


def test_other_origins_get_no_cors_headers(client):
    response = client.options(
        SERVICE_URL, headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"}
    )
    assert "Access-Control-Allow-Origin" not in response.headers


def test_never_a_wildcard_with_credentials(client):
    response = client.options(SERVICE_URL, headers={"Origin": SANDBOX, "Access-Control-Request-Method": "POST"})
    assert response.headers.get("Access-Control-Allow-Origin") != "*"
    assert response.headers.get("Access-Control-Allow-Credentials") is None


def test_configured_origins_replace_the_default(make_app):
    client = make_app(CORS_ORIGINS="https://ehr.example.org, https://other.example.org").test_client()
    response = client.get("/cds-services", headers={"Origin": "https://other.example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://other.example.org"
    assert "Access-Control-Allow-Origin" not in client.get("/cds-services", headers={"Origin": SANDBOX}).headers


def test_wildcard_origin_is_refused_at_start(make_app):
    from cds.config import ConfigError

    with pytest.raises(ConfigError, match="'\\*' is not allowed"):
        make_app(CORS_ORIGINS="*")
