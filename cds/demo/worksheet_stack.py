"""The worksheet demo's servers, all on 127.0.0.1: sekmet-fhir holding the demo patients, and
the mock SMART EHR in front of it, and the service under gunicorn (`trialcds demo-worksheet`,
which the browser tests run).

sekmet-fhir runs as a subprocess (it is its own program, installed with the `demo` or
`test` extras) and asks for a random bearer token that only the mock EHR holds; the mock
EHR runs in a thread of the calling process; the service runs as `trialcds serve` would.
"""

from __future__ import annotations

import datetime
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml

from cds.demo.requests import demo_names, demo_resources, demo_transaction
from cds.demo.smart_ehr import (
    LOOPBACK,
    MockEhr,
    MockEhrSettings,
    create_mock_ehr_app,
    serve_in_thread,
)
from cds.fhir_loader import post_transaction
from cds.worksheet.links import CALLBACK_PATH, launch_url

# sekmet starts in a second or two on a 2-core machine; the margin covers a loaded one.
STARTUP_LIMIT_SECONDS = 60.0
POLL_SECONDS = 0.2
STOP_LIMIT_SECONDS = 15.0


class DemoStackError(RuntimeError):
    """A demo server could not be started; the message says which and why."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def wait_until_serving(url: str, process: subprocess.Popen[bytes] | None, what: str) -> None:
    """Poll `url` until it answers 200.

    :raise DemoStackError: the process exited, or the URL never answered in time.
    """
    deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise DemoStackError(f"{what} exited with status {process.returncode}")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass  # not listening yet
        time.sleep(POLL_SECONDS)
    raise DemoStackError(f"{what} did not answer {url} within {STARTUP_LIMIT_SECONDS:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_LIMIT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class FhirStore:
    """The FHIR server behind the mock EHR: its base URL and the one token it accepts."""

    base_url: str
    token: str


@contextmanager
def sekmet(workdir: Path) -> Iterator[FhirStore]:
    """sekmet-fhir on a free loopback port, accepting one random bearer token; stopped at the end.

    :raise DemoStackError: sekmet-fhir is not installed, or does not start.
    """
    executable = Path(sys.executable).parent / "sekmet"
    if not executable.exists():
        raise DemoStackError("sekmet-fhir is not installed: run .venv/bin/pip install -e '.[demo]'")
    port, token = free_port(), secrets.token_urlsafe(24)
    base_url = f"http://{LOOPBACK}:{port}/fhir"
    config = {
        "host": LOOPBACK,
        "port": port,
        "base_url": base_url,
        "data_dir": str(workdir / "data"),
        "own_private_key_path": str(workdir / "keys" / "sekmet_private.pem"),
        "simulator": {"enabled": False},
        "log_inbound": False,
        "server_auth": {"types": ["bearer"], "tokens": [token]},
    }
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "sekmet.yaml").write_text(yaml.safe_dump(config))
    with (workdir / "sekmet.log").open("ab") as log:
        process = subprocess.Popen(
            [str(executable), "serve", "-c", str(workdir / "sekmet.yaml")],
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        wait_until_serving(f"{base_url}/metadata", process, f"sekmet-fhir (log: {workdir / 'sekmet.log'})")
        yield FhirStore(base_url, token)
    finally:
        _stop(process)


def load_demo_patients(store: FhirStore, as_of: datetime.date) -> None:
    """PUT the demo patients, dated for `as_of`, into the FHIR server."""
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {store.token}"
        post_transaction(session, store.base_url, demo_transaction(demo_names(), as_of))


@contextmanager
def gunicorn_service(port: int, environment: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """The service under gunicorn with its production settings (cds/gunicorn_conf.py) on
    127.0.0.1:`port`, its log on this process's stdout; stopped at the end.

    :raise DemoStackError: it exits or does not serve in time.
    """
    process = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "--config", "python:cds.gunicorn_conf",
            "--bind", f"{LOOPBACK}:{port}", "cds:create_app()",
        ],
        env={**os.environ, **environment},
        stdin=subprocess.DEVNULL,
    )
    try:
        wait_until_serving(f"http://{LOOPBACK}:{port}/health", process, "the trialcds service")
        yield process
    finally:
        _stop(process)


@dataclass(frozen=True)
class RunningEhr:
    """The mock EHR while it serves, and a ready launch URL per demo patient."""

    ehr: MockEhr
    launch_urls: dict[str, str]


@contextmanager
def mock_ehr(store: FhirStore, ehr_port: int, service_base_url: str, client_id: str, as_of: datetime.date) -> Iterator[RunningEhr]:
    """The mock SMART EHR on 127.0.0.1:`ehr_port` in front of `store`, with the worksheet at
    `service_base_url` registered as client `client_id`; one launch minted per demo patient."""
    settings = MockEhrSettings(
        base_url=f"http://{LOOPBACK}:{ehr_port}",
        upstream_fhir=store.base_url,
        upstream_token=store.token,
        client_id=client_id,
        redirect_uri=service_base_url + CALLBACK_PATH,
    )
    ehr = MockEhr(settings)
    server = serve_in_thread(create_mock_ehr_app(ehr), ehr_port)
    try:
        app_launch = launch_url(service_base_url)
        urls = {
            name: ehr.launch_url(app_launch, ehr.new_launch(demo_resources(name, as_of)["patient"][0]["id"]))
            for name in demo_names()
        }
        yield RunningEhr(ehr, urls)
    finally:
        server.shutdown()
