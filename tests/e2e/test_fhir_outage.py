"""The FHIR server going away mid-run: without the Patient the service answers 412 with a clear
reason (CDS Hooks 2.0 §Prefetch Template); with the Patient prefetched it answers from the rest
and says what is missing (issue 11); and it serves again once the server is back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from e2e_hooks import (
    first_page_prefetch,
    hook_context,
    hook_request,
    next_link,
    without_uuids,
)
from e2e_patients import AS_OF, MANY_RESULTS_BUNDLES, case_patient_id
from e2e_servers import FhirServer, Service

from cds.demo.requests import demo_resources

pytestmark = pytest.mark.e2e

PREFETCH_ERROR_CODE = "TRIALCDS-PREFETCH-412"
# Smaller than the patient's hundreds of laboratory results, so the first page has a `next` link.
FIRST_PAGE_SIZE = 50


def outcome_codes_and_text(body: dict) -> tuple[set[str], str]:
    """The error codes and the diagnostics of an OperationOutcome answer."""
    issues = body["issue"]
    codes = {coding["code"] for issue in issues for coding in issue.get("details", {}).get("coding", [])}
    return codes, " ".join(issue.get("diagnostics", "") for issue in issues)


@pytest.fixture
def patient_id(loaded_patient_ids: list[str]) -> str:
    """A loaded demo patient who gets a card, so recovery is checked on a non-empty answer."""
    return demo_resources("eligible", AS_OF)["patient"][0]["id"]


def test_server_down_gives_412_then_the_service_recovers(
    patient_id: str, fhir_server: FhirServer, service: Service
) -> None:
    before = service.call(hook_request(patient_id, fhir_server.endpoint))
    fhir_server.process.stop()
    try:
        during = service.call(hook_request(patient_id, fhir_server.endpoint))
    finally:
        fhir_server.process.start()
    after = service.call(hook_request(patient_id, fhir_server.endpoint))

    assert before.status_code == 200, before.text
    assert before.json()["cards"], "the patient should get a card, or recovery would be checked on nothing"
    assert during.status_code == 412, during.text
    codes, text = outcome_codes_and_text(during.json())
    assert codes == {PREFETCH_ERROR_CODE}
    assert "could not be reached" in text
    assert "Traceback" not in during.text
    assert after.status_code == 200, after.text
    assert without_uuids(after.json()) == without_uuids(before.json())


def test_server_down_after_the_first_pages_gives_a_partial_answer_that_says_so(
    external_data: Path,
    loaded_patient_ids: list[str],
    fhir_server: FhirServer,
    service: Service,
    discovery_prefetch: dict[str, str],
) -> None:
    """The client prefetched first pages with `next` links; the rest cannot be fetched any more.

    The Patient was prefetched, so the service answers from what it has (issue 11): no
    candidate card, and the log line names each search it could not finish and why.
    """
    patient_id = case_patient_id(MANY_RESULTS_BUNDLES[0], external_data)
    assert patient_id in loaded_patient_ids
    first_pages = first_page_prefetch(
        discovery_prefetch, hook_context(patient_id), fhir_server.endpoint, page_size=FIRST_PAGE_SIZE
    )
    paged = sorted(key for key, value in first_pages.items() if next_link(value))
    assert "observations" in paged, "no search spans pages; the outage would cut nothing"
    request = hook_request(patient_id, fhir_server.endpoint, first_pages)
    fhir_server.process.stop()
    try:
        during = service.call(request)
    finally:
        fhir_server.process.start()

    assert during.status_code == 200, during.text
    assert all("suggestions" not in card for card in during.json()["cards"])
    (logged,) = [line for line in log_lines(service) if line.get("hookInstance") == request["hookInstance"]]
    assert logged["outcome"] == "partial_data"
    assert sorted(gap["key"] for gap in logged["missing_data"]) == paged
    assert all(gap["reason"] == "the FHIR server could not be reached" for gap in logged["missing_data"])


def log_lines(service: Service) -> list[dict]:
    """The service's JSON log lines (gunicorn's and the service's)."""
    lines = []
    for line in service.process.log_text().splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines
