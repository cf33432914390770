"""Session fixtures of the end-to-end suite: a real FHIR server, the patients loaded into it, and
trialcds under gunicorn, all on 127.0.0.1 and free ports, started here and stopped at the end.

The FHIR server is sekmet-fhir (PyPI), a FHIR R4 server with search by patient, code, date and
category, `_count` paging with `next` links, and transactions. It requires a bearer token, so the
service's callbacks run with the hook request's fhirAuthorization as they would against an EHR.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml
from e2e_hooks import FhirEndpoint
from e2e_patients import AS_OF, EXTERNAL_BUNDLES, REPO_ROOT, demo_bundle, patient_ids
from e2e_servers import FhirServer, ServerProcess, Service, free_port

from cds.fhir_loader import load_bundles, post_transaction

def sekmet_config(workdir: Path, port: int, token: str) -> dict:
    """A sekmet settings file's content: loopback only, no simulator, one static bearer token."""
    return {
        "host": "127.0.0.1",
        "port": port,
        "base_url": f"http://127.0.0.1:{port}/fhir",
        "data_dir": str(workdir / "data"),
        "own_private_key_path": str(workdir / "keys" / "sekmet_private.pem"),
        "simulator": {"enabled": False},
        "log_inbound": False,
        "server_auth": {"types": ["bearer"], "tokens": [token]},
        # An EHR serves the data it holds, conformant or not (Inferno's patient 355 has an
        # Observation.effectivePeriod.stop); the service must cope with what real servers send.
        "validation": {"inbound": "off"},
    }


@pytest.fixture(scope="session")
def fhir_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FhirServer]:
    """A sekmet-fhir server on 127.0.0.1 that accepts one random bearer token."""
    workdir = tmp_path_factory.mktemp("sekmet")
    port = free_port()
    token = secrets.token_urlsafe(24)
    config = sekmet_config(workdir, port, token)
    config_path = workdir / "sekmet.yaml"
    config_path.write_text(yaml.safe_dump(config))
    process = ServerProcess(
        name="sekmet FHIR server",
        command=[str(Path(sys.executable).parent / "sekmet"), "serve", "-c", str(config_path)],
        cwd=workdir,
        log_path=workdir / "sekmet.log",
        ready_url=f"{config['base_url']}/metadata",
    )
    process.start()
    try:
        yield FhirServer(FhirEndpoint(config["base_url"], token), process)
    finally:
        process.stop()


@pytest.fixture(scope="session")
def loaded_patient_ids(fhir_server: FhirServer, external_data: Path) -> list[str]:
    """Load the demo patients and the external selection into the FHIR server; return their ids."""
    session = fhir_server.session()
    demo = demo_bundle()
    post_transaction(session, fhir_server.endpoint.base_url, demo)
    paths = [external_data / name for name in EXTERNAL_BUNDLES]
    report = load_bundles(fhir_server.endpoint.base_url, paths, session)
    assert report.failures == (), "\n".join(report.failures)
    demo_ids = [e["resource"]["id"] for e in demo["entry"] if e["resource"]["resourceType"] == "Patient"]
    return [*demo_ids, *(patient_id for path in paths for patient_id in patient_ids(path))]


@pytest.fixture(scope="session")
def service(fhir_server: FhirServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """trialcds under gunicorn, allowed to call the FHIR server, with the evaluation date pinned."""
    workdir = tmp_path_factory.mktemp("trialcds")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    process = ServerProcess(
        name="trialcds under gunicorn",
        command=[
            sys.executable, "-m", "gunicorn",
            "--config", "python:cds.gunicorn_conf",  # the production settings, as the Docker image runs
            "--bind", f"127.0.0.1:{port}",
            "--timeout", "180",  # above the deadline below, so a slow call is answered, not killed
            "cds:create_app()",
        ],
        cwd=REPO_ROOT,
        log_path=workdir / "gunicorn.log",
        ready_url=f"{base_url}/cds-services",
        env={
            "TRIALCDS_AUTH": "off",
            "TRIALCDS_FHIR_SERVERS": fhir_server.endpoint.base_url,
            "TRIALCDS_AS_OF": AS_OF.isoformat(),
            "TRIALCDS_FEEDBACK_DATABASE": str(workdir / "feedback.sqlite3"),
            # The production deadline (a few seconds, for a clinician waiting) would make results
            # depend on how fast this 2-core machine pages through sekmet; these tests check
            # what the service concludes from complete data, not how fast it gets it.
            "TRIALCDS_FHIR_DEADLINE_SECONDS": "120",
            "TRIALCDS_FHIR_READ_TIMEOUT_SECONDS": "60",
        },
    )
    process.start()
    try:
        yield Service(base_url, process)
    finally:
        process.stop()


@pytest.fixture(scope="session")
def discovery_prefetch(service: Service) -> dict[str, str]:
    """The prefetch templates the running service publishes in discovery."""
    response = requests.get(f"{service.base_url}/cds-services", timeout=30)
    response.raise_for_status()
    (entry,) = [s for s in response.json()["services"] if s["id"] == "trial-eligibility"]
    return entry["prefetch"]
