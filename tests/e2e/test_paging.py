"""A FHIR server that pages more finely than a patient's results still yields every resource:
the service follows `next` links (CDS Hooks 2.0 §Prefetch Template: "a CDS Client MAY paginate
prefetch results") and reaches the conclusion complete data gives.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_hooks import (
    complete_prefetch,
    first_page_prefetch,
    hook_context,
    hook_request,
    next_link,
    truncated_prefetch,
    without_uuids,
)
from e2e_patients import MANY_RESULTS_BUNDLES, case_patient_id
from e2e_servers import FhirServer, Service

pytestmark = pytest.mark.e2e

# Much smaller than these patients' hundreds of laboratory results, so every search spans many pages.
SMALL_PAGE = 5


@pytest.mark.parametrize("label", MANY_RESULTS_BUNDLES)
def test_small_pages_give_the_cards_of_complete_data(
    label: str,
    external_data: Path,
    loaded_patient_ids: list[str],
    fhir_server: FhirServer,
    service: Service,
    discovery_prefetch: dict[str, str],
) -> None:
    patient_id = case_patient_id(label, external_data)
    context = hook_context(patient_id)
    first_pages = first_page_prefetch(discovery_prefetch, context, fhir_server.endpoint, page_size=SMALL_PAGE)
    paged_keys = [key for key, value in first_pages.items() if next_link(value)]
    assert "observations" in paged_keys, "the server did not page the laboratory search; the test would prove nothing"

    complete = service.call(hook_request(patient_id, fhir_server.endpoint, complete_prefetch(first_pages, fhir_server.endpoint)))
    paged = service.call(hook_request(patient_id, fhir_server.endpoint, first_pages))
    truncated = service.call(hook_request(patient_id, fhir_server.endpoint, truncated_prefetch(first_pages)))

    assert complete.status_code == paged.status_code == truncated.status_code == 200
    assert without_uuids(paged.json()) == without_uuids(complete.json())
    # The control: the first pages alone lead elsewhere, so the equality above rests on the later pages.
    assert without_uuids(truncated.json()) != without_uuids(complete.json())
