"""docs/openapi.yaml describes the service truly (issue 5, item 6).

schemathesis generates requests from the document and sends them to the Flask app
(WSGI, auth off as TRIALCDS_AUTH=off would set it): no answer is a 500, every answer
fits the response schema of its status, and every error body is JSON. A second test
keeps the document and the app's routes from drifting apart.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from flask import Flask
from hook_settings import AS_OF, FHIR_BASE
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from cds import create_app

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
# Methods Flask adds to every route by itself; the document describes the others.
IMPLICIT_METHODS = {"HEAD", "OPTIONS"}

schema = schemathesis.openapi.from_path(OPENAPI)


def error_body_is_json(ctx: Any, response: Any, case: Any) -> None:
    """An error answer is JSON, whatever request caused it."""
    if response.status_code >= 400:
        assert response.headers.get("content-type", [""])[0].startswith("application/json")
        response.json()


@pytest.fixture(scope="module")
def service_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The service as `TRIALCDS_AUTH=off` runs it, with a pinned date and a temporary store."""
    feedback_db = tmp_path_factory.mktemp("openapi") / "feedback.sqlite3"
    return create_app(
        {
            "TESTING": True,
            "AUTH": "off",
            "AS_OF": AS_OF.isoformat(),
            "FHIR_SERVERS": [FHIR_BASE],
            "FEEDBACK_DATABASE": str(feedback_db),
        }
    )


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_app_conforms_to_its_openapi_document(case, service_app):
    case.call_and_validate(
        app=service_app,
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance, error_body_is_json],
    )


def documented_operations() -> set[tuple[str, str]]:
    document = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    return {(path, method.upper()) for path, item in document["paths"].items() for method in item}


def test_document_names_every_route_the_app_registers(service_app):
    # The worksheet's HTML pages (SMART app, README "Eligibility worksheet") are no part of the API.
    registered = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method)
        for rule in service_app.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.endpoint.startswith("worksheet.")
        for method in rule.methods - IMPLICIT_METHODS
    }
    assert registered == documented_operations()


def test_document_is_openapi_3_1():
    document = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["cdsClientJwt"]["bearerFormat"] == "JWT"
