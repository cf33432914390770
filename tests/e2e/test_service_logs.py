"""What the service logs while it serves real calls holds no patient id and no access token
(house style, "Logging and PHI")."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_hooks import FhirEndpoint, hook_request
from e2e_patients import MANY_RESULTS_BUNDLES, case_patient_id
from e2e_servers import FhirServer, Service

pytestmark = pytest.mark.e2e

# A FHIR base the service is not allowed to call: the request is refused with 412.
UNLISTED_FHIR_SERVER = "http://127.0.0.1:9/fhir"


def test_calls_leave_no_patient_id_or_token_in_the_service_log(
    external_data: Path, loaded_patient_ids: list[str], fhir_server: FhirServer, service: Service
) -> None:
    patient_id = case_patient_id(MANY_RESULTS_BUNDLES[0], external_data)
    answered = service.call(hook_request(patient_id, fhir_server.endpoint))
    unlisted = FhirEndpoint(UNLISTED_FHIR_SERVER, fhir_server.endpoint.access_token)
    refused = service.call(hook_request(patient_id, unlisted))

    assert answered.status_code == 200
    assert refused.status_code == 412
    log = service.process.log_text()
    assert "hook call" in log, "the service logged nothing about the calls; the check below would be empty"
    assert patient_id not in log
    assert fhir_server.endpoint.access_token not in log
