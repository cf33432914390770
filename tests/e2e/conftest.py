"""Session fixtures of the end-to-end suite: a real FHIR server, the patients loaded into it, and
trialcds under gunicorn, all on 127.0.0.1 and free ports, started here and stopped at the end.

The FHIR server is sekmet-fhir (PyPI), a FHIR R4 server with search by patient, code, date and
category, `_count` paging with `next` links, and transactions. It requires a bearer token, so the
service's callbacks run with the hook request's fhirAuthorization as they would against an EHR.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from e2e_hooks import FhirEndpoint
from e2e_patients import AS_OF, EXTERNAL_BUNDLES, demo_bundle, patient_ids
from e2e_servers import FhirServer, Service

from bench.card_counts import ungated_copy
from bench.servers import gunicorn_server, sekmet_server
from cds.fhir_loader import load_bundles, post_transaction
from cds.trials.loader import TRIALS_DIR


@pytest.fixture(scope="session")
def fhir_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FhirServer]:
    """A sekmet-fhir server on 127.0.0.1 that accepts one random bearer token."""
    token = secrets.token_urlsafe(24)
    process = sekmet_server(tmp_path_factory.mktemp("sekmet"), token)
    process.start()
    try:
        yield FhirServer(FhirEndpoint(process.base_url, token), process)
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
    """trialcds under gunicorn, allowed to call the FHIR server, with the evaluation date pinned.

    Its trials are the shipped ones without their evidence gate (`card_requires`): no public
    patient has a coded SLE diagnosis or a positive ANA, so with the gate none would get a card,
    and these tests compare each call's evaluation through the cards that carry it.
    """
    workdir = tmp_path_factory.mktemp("trialcds")
    process = gunicorn_server(
        workdir,
        {
            "TRIALCDS_TRIALS_DIR": str(ungated_copy(TRIALS_DIR, workdir / "trials-without-gate")),
            "TRIALCDS_FHIR_SERVERS": fhir_server.endpoint.base_url,
            "TRIALCDS_AS_OF": AS_OF.isoformat(),
            # The production deadline (a few seconds, for a clinician waiting) would make results
            # depend on how fast this 2-core machine pages through sekmet; these tests check
            # what the service concludes from complete data, not how fast it gets it.
            "TRIALCDS_FHIR_DEADLINE_SECONDS": "120",
            "TRIALCDS_FHIR_READ_TIMEOUT_SECONDS": "60",
        },
        # Above the deadline above, so a slow call is answered, not killed.
        ["--timeout", "180"],
    )
    process.start()
    try:
        yield Service(process.base_url, process)
    finally:
        process.stop()


@pytest.fixture(scope="session")
def discovery_prefetch(service: Service) -> dict[str, str]:
    """The prefetch templates the running service publishes in discovery."""
    response = requests.get(f"{service.base_url}/cds-services", timeout=30)
    response.raise_for_status()
    (entry,) = [s for s in response.json()["services"] if s["id"] == "trial-eligibility"]
    return entry["prefetch"]
