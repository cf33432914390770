"""Prefetched or fetched, the same patient gets the same cards (CDS Hooks 2.0 §Prefetch Template:
prefetched data "MUST be equivalent to the data the CDS Service would receive if it were making its
own call"), through gunicorn and a real FHIR server.

Cards carry the whole evaluation (`extension["trialcds.evaluation"]`), so equal cards mean equal
evaluations, criterion by criterion.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_hooks import first_page_prefetch, hook_context, hook_request, without_uuids
from e2e_patients import AS_OF, case_labels, case_patient_id
from e2e_servers import FhirServer, Service

from cds.demo.requests import demo_names, demo_request

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("label", case_labels())
def test_fetched_and_first_page_prefetch_give_the_same_cards(
    label: str,
    external_data: Path,
    loaded_patient_ids: list[str],
    fhir_server: FhirServer,
    service: Service,
    discovery_prefetch: dict[str, str],
) -> None:
    patient_id = case_patient_id(label, external_data)
    assert patient_id in loaded_patient_ids

    fetched = service.call(hook_request(patient_id, fhir_server.endpoint))
    prefetch = first_page_prefetch(discovery_prefetch, hook_context(patient_id), fhir_server.endpoint, page_size=None)
    prefetched = service.call(hook_request(patient_id, fhir_server.endpoint, prefetch))

    assert fetched.status_code == 200, fetched.text
    assert prefetched.status_code == 200, prefetched.text
    assert without_uuids(prefetched.json()) == without_uuids(fetched.json())


@pytest.mark.parametrize("name", demo_names())
def test_demo_request_gives_the_cards_the_service_fetches_for_itself(
    name: str, loaded_patient_ids: list[str], fhir_server: FhirServer, service: Service
) -> None:
    """The README's demo request (full prefetch, no fhirServer) agrees with the FHIR server's copy."""
    demo = demo_request(name, AS_OF)
    patient_id = demo["context"]["patientId"]
    assert patient_id in loaded_patient_ids

    from_prefetch = service.call(demo)
    # The same clinician opens the chart both ways: the suggested referral is requested by them.
    fetching = hook_request(patient_id, fhir_server.endpoint)
    fetching["context"]["userId"] = demo["context"]["userId"]
    fetched = service.call(fetching)

    assert from_prefetch.status_code == 200, from_prefetch.text
    assert fetched.status_code == 200, fetched.text
    assert without_uuids(from_prefetch.json()) == without_uuids(fetched.json())
