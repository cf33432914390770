"""The real servers the end-to-end tests run, as the tests use them: a FHIR server to load and take away,
and the service to call. Starting, probing and stopping them is `bench.servers`'s, shared with the benchmark."""

from __future__ import annotations

from dataclasses import dataclass

import requests
from e2e_hooks import SERVICE_PATH, FhirEndpoint

from bench.servers import ServerProcess

# Above the service's gunicorn worker timeout (conftest), so a slow call fails there with its log, not here.
HOOK_CALL_TIMEOUT_SECONDS = 200


@dataclass
class FhirServer:
    """The running FHIR server: the endpoint a CDS client would name, and its process."""

    endpoint: FhirEndpoint
    process: ServerProcess

    def session(self) -> requests.Session:
        """A requests session carrying the server's bearer token."""
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.endpoint.access_token}"
        return session


@dataclass(frozen=True)
class Service:
    """trialcds under gunicorn."""

    base_url: str
    process: ServerProcess

    def call(self, hook_request: dict) -> requests.Response:
        """POST a hook request to the trial-eligibility service."""
        return requests.post(f"{self.base_url}{SERVICE_PATH}", json=hook_request, timeout=HOOK_CALL_TIMEOUT_SECONDS)
