"""An EHR for the worksheet's in-process tests: the mock SMART EHR (cds.demo.smart_ehr) in front
of a small FHIR server holding the demo patients, both reached through `responses`, so the
worksheet's own HTTP calls (discovery, token, FHIR searches) go where a real launch sends them.

The FHIR server answers reads (`Patient/<id>`, `Medication/<id>`) and searches by `patient`, as
sekmet-fhir does for the queries the service makes; other search parameters (`code`,
`_include`) narrow nothing here, which is harmless for the demo patients, who have only
what the criteria read.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson
import responses
from flask.testing import FlaskClient

from cds.demo.requests import demo_names, demo_resources, searchset
from cds.demo.smart_ehr import MockEhr, MockEhrSettings, create_mock_ehr_app

AS_OF = datetime.date(2026, 6, 15)
EHR_BASE = "https://ehr.example.org"
UPSTREAM_FHIR = "https://fhir-store.example.org/fhir"
UPSTREAM_TOKEN = "upstream-token-7d1e"
CLIENT_ID = "trialcds-worksheet"
# The Flask test client's host: the worksheet builds its redirect URI from it.
REDIRECT_URI = "http://localhost/worksheet/callback"
Resource = dict[str, Any]


def demo_store(as_of: datetime.date = AS_OF) -> list[Resource]:
    """Every demo patient's resources, dated for `as_of`."""
    return [r for name in demo_names() for group in demo_resources(name, as_of).values() for r in group]


def _patient_of(resource: Resource) -> str | None:
    for key in ("subject", "patient"):
        reference = resource.get(key, {}).get("reference", "")
        if reference.startswith("Patient/"):
            return reference.removeprefix("Patient/")
    return None


def fhir_answer(store: Iterable[Resource], request: Any, failing_type: str | None) -> tuple[int, dict[str, str], str]:
    """Answer one read or search against the store, or 404; a server error for `failing_type`."""
    parts = urlsplit(request.url)
    path = parts.path.removeprefix(urlsplit(UPSTREAM_FHIR).path + "/")
    resource_type, _, resource_id = path.partition("/")
    if resource_type == failing_type:
        return 500, {}, "{}"
    resources = [r for r in store if r["resourceType"] == resource_type]
    if resource_id:
        found = [r for r in resources if r["id"] == resource_id]
        return (200, {}, orjson.dumps(found[0]).decode()) if found else (404, {}, "{}")
    patient = dict(parse_qsl(parts.query)).get("patient")
    return 200, {}, orjson.dumps(searchset([r for r in resources if _patient_of(r) == patient])).decode()


def mock_ehr(smart_version: str = "v2") -> MockEhr:
    """The mock EHR, registered with the worksheet as the test client reaches it."""
    return MockEhr(MockEhrSettings(EHR_BASE, UPSTREAM_FHIR, UPSTREAM_TOKEN, CLIENT_ID, REDIRECT_URI, smart_version))


def route_to(ehr_client: FlaskClient, request: Any) -> tuple[int, dict[str, str], bytes]:
    """Send a request the worksheet makes to the mock EHR's Flask app."""
    parts = urlsplit(request.url)
    answer = ehr_client.open(
        parts.path,
        method=request.method,
        query_string=parts.query,
        data=request.body,
        headers={k: v for k, v in request.headers.items() if k.lower() in {"authorization", "content-type", "accept"}},
    )
    return answer.status_code, {"Content-Type": answer.content_type}, answer.get_data()


def install_routes(
    mock: responses.RequestsMock, ehr: MockEhr, store: list[Resource], failing_type: str | None = None
) -> None:
    """Route the EHR's URLs to the mock EHR, and its upstream FHIR URLs to the store (whose searches
    of `failing_type` fail)."""
    ehr_client = create_mock_ehr_app(ehr).test_client()
    for method in (responses.GET, responses.POST):
        mock.add_callback(method, re.compile(re.escape(EHR_BASE) + r"/.*"), callback=lambda r: route_to(ehr_client, r))
    mock.add_callback(
        responses.GET, re.compile(re.escape(UPSTREAM_FHIR) + r"/.*"), callback=lambda r: fhir_answer(store, r, failing_type)
    )


def follow_launch(worksheet: FlaskClient, ehr: MockEhr, patient_id: str) -> Any:
    """Launch the worksheet for a patient as a browser would; return the last worksheet response.

    The browser goes launch URL -> the EHR's authorize endpoint -> the worksheet's callback ->
    the worksheet page; the EHR leg runs on the mock EHR's own Flask app.
    """
    ehr_client = create_mock_ehr_app(ehr).test_client()
    launch = urlsplit(ehr.launch_url("/worksheet/launch", ehr.new_launch(patient_id)))
    response = worksheet.get(launch.path, query_string=launch.query)
    assert response.status_code == 302, response.get_data(as_text=True)
    authorize = urlsplit(response.headers["Location"])
    back = urlsplit(ehr_client.get(authorize.path, query_string=authorize.query).headers["Location"])
    response = worksheet.get(back.path, query_string=back.query)
    if response.status_code == 303:
        response = worksheet.get(response.headers["Location"])
    return response
