"""The real servers the end-to-end tests run, one subprocess each on loopback: start, probe, stop, call."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from e2e_hooks import SERVICE_PATH, FhirEndpoint

# Above the service's gunicorn worker timeout (conftest), so a slow call fails there with its log, not here.
HOOK_CALL_TIMEOUT_SECONDS = 200
# How long a server may take to answer its readiness URL: sekmet and gunicorn start in about a second
# on the 2-core CI machine; the margin covers a loaded machine. Not a test assertion.
STARTUP_LIMIT_SECONDS = 60.0
STARTUP_POLL_SECONDS = 0.2
READY_PROBE_TIMEOUT_SECONDS = 10
STOP_LIMIT_SECONDS = 15.0
LOG_TAIL_CHARACTERS = 4000


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServerStartError(RuntimeError):
    """A test server exited or never answered its readiness URL."""


@dataclass
class ServerProcess:
    """One server subprocess: its command, where it logs, and the URL that answers 200 once it serves."""

    name: str
    command: list[str]
    cwd: Path
    log_path: Path
    ready_url: str
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the process and return once its readiness URL answers 200."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise ServerStartError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(self.ready_url, timeout=READY_PROBE_TIMEOUT_SECONDS).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(STARTUP_POLL_SECONDS)
        self.stop()
        raise ServerStartError(f"{self.name} did not answer {self.ready_url}:\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL if it lingers) and wait for it to exit."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_LIMIT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_text(self) -> str:
        """Everything the server has logged so far (stdout and stderr)."""
        return self.log_path.read_text(errors="replace")

    def log_tail(self) -> str:
        """The end of the server's log, to explain a failure."""
        return self.log_text()[-LOG_TAIL_CHARACTERS:]


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
    """trialcds running under gunicorn."""

    base_url: str
    process: ServerProcess

    def call(self, hook_request: dict) -> requests.Response:
        """POST a hook request to the trial-eligibility service."""
        return requests.post(f"{self.base_url}{SERVICE_PATH}", json=hook_request, timeout=HOOK_CALL_TIMEOUT_SECONDS)
