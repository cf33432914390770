"""The FHIR server going away mid-run: the service answers 412 with a clear reason instead of
evaluating partial data (CDS Hooks 2.0 §Prefetch Template), and serves again once it is back.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_hooks import first_page_prefetch, hook_context, hook_request, without_uuids
from e2e_patients import AS_OF, MANY_RESULTS_BUNDLES, case_patient_id
from e2e_servers import FhirServer, Service

from cds.demo.requests import demo_resources

pytestmark = pytest.mark.e2e

PREFETCH_ERROR_CODE = "TRIALCDS-PREFETCH-412"


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


def test_server_down_after_the_first_pages_gives_412_not_partial_cards(
    external_data: Path,
    loaded_patient_ids: list[str],
    fhir_server: FhirServer,
    service: Service,
    discovery_prefetch: dict[str, str],
) -> None:
    """The client prefetched first pages with `next` links; the rest cannot be fetched any more."""
    patient_id = case_patient_id(MANY_RESULTS_BUNDLES[0], external_data)
    assert patient_id in loaded_patient_ids
    first_pages = first_page_prefetch(discovery_prefetch, hook_context(patient_id), fhir_server.endpoint, page_size=None)
    fhir_server.process.stop()
    try:
        during = service.call(hook_request(patient_id, fhir_server.endpoint, first_pages))
    finally:
        fhir_server.process.start()

    assert during.status_code == 412, during.text
    codes, text = outcome_codes_and_text(during.json())
    assert codes == {PREFETCH_ERROR_CODE}
    assert "could not be reached" in text
