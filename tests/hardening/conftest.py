"""Fixtures for the hardening tests: the app, its client, a strict FHIR server, hook requests.

The app, client and demo hook requests are the HTTP tests' own fixtures (tests/http),
reused rather than copied. The FHIR server here is stricter than theirs: `responses`
refuses any call that matches no registered URL, and the test then fails at teardown,
so an unexpected outbound request (a server-side request forgery) cannot go unnoticed
even when the service turns the refused call into a 412.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import responses

HTTP_TESTS = Path(__file__).resolve().parents[1] / "http"
if str(HTTP_TESTS) not in sys.path:
    sys.path.insert(0, str(HTTP_TESTS))

_spec = importlib.util.spec_from_file_location("http_test_fixtures", HTTP_TESTS / "conftest.py")
assert _spec is not None and _spec.loader is not None
http_test_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(http_test_fixtures)

make_app = http_test_fixtures.make_app
app = http_test_fixtures.app
client = http_test_fixtures.client
hook_request = http_test_fixtures.hook_request
demo_trial_dir = http_test_fixtures.demo_trial_dir
demo_trial_client = http_test_fixtures.demo_trial_client

# The text `responses` gives the ConnectionError it raises for a call no mock matches.
UNMATCHED_CALL = "doesn't match any registered mock"


def unmatched_calls(mock: responses.RequestsMock) -> list[str]:
    """The URLs of calls that matched no registered response."""
    return [
        str(call.request.url)
        for call in mock.calls
        if isinstance(call.response, requests.ConnectionError) and UNMATCHED_CALL in str(call.response)
    ]


@pytest.fixture
def fhir() -> Iterator[responses.RequestsMock]:
    """The EHR's FHIR server: a call to any URL not registered fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
        assert unmatched_calls(mock) == [], "the service called a URL no test registered"

