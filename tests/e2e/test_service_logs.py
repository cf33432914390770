"""What the service logs while it serves real calls holds no patient id and no access token
(house style, "Logging and PHI")."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import requests
from e2e_hooks import FhirEndpoint, hook_request
from e2e_patients import MANY_RESULTS_BUNDLES, case_patient_id
from e2e_servers import FhirServer, Service

from bench.servers import ServerProcess, free_port

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


def test_serve_logs_json_lines_on_stderr_and_warns_once(tmp_path: Path) -> None:
    """`trialcds serve` as the README runs it, with two workers (issue 11): stdout stays empty,
    every line on stderr is one JSON object (gunicorn's access lines too), and each start-up
    warning is written once, not once per worker."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    stdout, stderr = tmp_path / "stdout.log", tmp_path / "stderr.log"
    server = ServerProcess(
        name="trialcds serve",
        command=[str(Path(sys.executable).parent / "trialcds"), "serve", "--port", str(port)],
        base_url=base_url,
        ready_url=f"{base_url}/health",
        log_path=stderr,
        stdout_path=stdout,
        env={
            "TRIALCDS_AUTH": "off",
            "TRIALCDS_AS_OF": "2026-06-15",
            "TRIALCDS_WORKERS": "2",
            "TRIALCDS_FEEDBACK_DATABASE": str(tmp_path / "feedback.sqlite3"),
        },
    )
    with server:
        assert requests.get(f"{base_url}/cds-services", timeout=30).status_code == 200

    assert stdout.read_text() == ""
    entries = [json.loads(line) for line in stderr.read_text().splitlines()]
    events = [entry["event"] for entry in entries]
    assert sum(event.startswith("Booting worker") for event in events) == 2
    assert sum(event.startswith("client authentication is OFF") for event in events) == 1
    assert sum(event.startswith("evaluation date is pinned") for event in events) == 1
    assert any(entry["logger"] == "gunicorn.access" and "/cds-services" in entry["event"] for entry in entries)
