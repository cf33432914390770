"""Fixtures for HTTP tests: the app on a temp feedback store, its client, demo requests.

The FHIR server is `responses`: any call not registered fails, so a test also proves
which calls were made. Requests are the shipped demo patients' patient-view calls,
valid FHIR R4 with every prefetch key filled, which tests then take apart.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from hook_settings import ACCESS_TOKEN, AS_OF, FHIR_BASE
from trial_files import shipped_alone

from cds import create_app
from cds.demo.requests import demo_request


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., Flask]:
    """Build an app with test settings; keyword arguments override them."""

    def build(**overrides: Any) -> Flask:
        config = {
            "TESTING": True,
            "AUTH": "off",
            "AS_OF": AS_OF.isoformat(),
            "FHIR_SERVERS": [FHIR_BASE],
            "FEEDBACK_DATABASE": str(tmp_path / "feedback.sqlite3"),
            # Where the EHR reaches the service (the card's worksheet link is built on it).
            "PUBLIC_BASE_URL": "https://trialcds.example.org",
            **overrides,
        }
        return create_app(config)

    return build


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def demo_trial_dir(tmp_path: Path) -> Path:
    """A trials folder holding NCT05247203 alone, the trial the demo patients are written for."""
    return shipped_alone(tmp_path / "demo-trial")


@pytest.fixture
def demo_trial_client(make_app: Callable[..., Flask], demo_trial_dir: Path) -> FlaskClient:
    """The service with NCT05247203 alone: for tests of that trial's cards for the demo
    patients, which the other shipped trials would answer with cards of their own."""
    return make_app(TRIALS_DIR=str(demo_trial_dir)).test_client()


@pytest.fixture
def fhir() -> Iterator[responses.RequestsMock]:
    """The EHR's FHIR server; unregistered calls fail, registered ones need not be made."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def hook_request() -> Callable[..., dict[str, Any]]:
    """A demo patient's patient-view request with full prefetch, for the FHIR server above."""

    def build(name: str = "eligible", with_token: bool = True) -> dict[str, Any]:
        body = copy.deepcopy(demo_request(name, AS_OF))
        body["fhirServer"] = FHIR_BASE
        if with_token:
            body["fhirAuthorization"] = {
                "access_token": ACCESS_TOKEN,
                "token_type": "Bearer",
                "expires_in": 300,
                "scope": "patient/*.read",
                "subject": "trialcds",
            }
        return body

    return build
