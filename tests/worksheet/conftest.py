"""Fixtures of the worksheet's in-process tests: the app, the mock EHR, and the routes between them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from flask import Flask
from worksheet_support import AS_OF, CLIENT_ID, demo_store, install_routes, mock_ehr

from cds import create_app
from cds.demo.smart_ehr import MockEhr


@pytest.fixture
def ehr() -> MockEhr:
    return mock_ehr()


@pytest.fixture
def routed(ehr: MockEhr) -> Iterator[responses.RequestsMock]:
    """Every HTTP call the worksheet makes goes to the mock EHR or its FHIR store; any other fails."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        install_routes(mock, ehr, demo_store())
        yield mock


@pytest.fixture
def make_app(tmp_path: Path, ehr: MockEhr) -> Callable[..., Flask]:
    def build(**overrides: Any) -> Flask:
        config = {
            "TESTING": True,
            "AUTH": "off",
            "AS_OF": AS_OF.isoformat(),
            "FHIR_SERVERS": [ehr.fhir_base],
            "FEEDBACK_DATABASE": str(tmp_path / "feedback.sqlite3"),
            "WORKSHEET_DATABASE": str(tmp_path / "worksheet.sqlite3"),
            "WORKSHEET_CLIENT_ID": CLIENT_ID,
            **overrides,
        }
        return create_app(config)

    return build


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()
