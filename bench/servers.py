"""The real servers the benchmark and the end-to-end tests run on 127.0.0.1: sekmet-fhir and trialcds under
gunicorn, one subprocess each, started, probed until they serve, and stopped by their own pid.

It lives here, not under tests/, so that `python -m bench.run` can import it from the repository root;
the tests reach it the same way (pytest's `pythonpath = ["."]`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

from bench import REPO_ROOT

# How long a server may take to answer its readiness URL: sekmet and gunicorn start in about a second
# on the 2-core CI machine; the margin covers a loaded machine. Not a test assertion.
STARTUP_LIMIT_SECONDS = 60.0
STARTUP_POLL_SECONDS = 0.2
READY_PROBE_TIMEOUT_SECONDS = 10
STOP_LIMIT_SECONDS = 15.0
LOG_TAIL_CHARACTERS = 4000


class ServerStartError(RuntimeError):
    """A server exited, or never answered its readiness URL."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ServerProcess:
    """One server subprocess: its command, where it logs, and the URL that answers 200 once it serves.

    `start()` and `stop()` may alternate (same port, same settings), so a test can take the server away
    and bring it back; `with` starts it and stops it at the end.
    """

    name: str
    command: list[str]
    base_url: str
    ready_url: str
    log_path: Path
    cwd: Path = REPO_ROOT
    env: dict[str, str] = field(default_factory=dict)
    # Where stdout goes when it must stay apart from stderr (which `log_path` then holds alone).
    stdout_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start the process and return once its readiness URL answers 200."""
        with self.log_path.open("ab") as log, (self.stdout_path or Path(os.devnull)).open("ab") as out:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env={**os.environ, **self.env},
                stdout=log if self.stdout_path is None else out,
                stderr=subprocess.STDOUT if self.stdout_path is None else log,
                stdin=subprocess.DEVNULL,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise ServerStartError(
                    f"{self.name} exited with {self.process.returncode} ({self.log_path}):\n{self.log_tail()}"
                )
            try:
                if requests.get(self.ready_url, timeout=READY_PROBE_TIMEOUT_SECONDS).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or still importing the app
            time.sleep(STARTUP_POLL_SECONDS)
        self.stop()
        raise ServerStartError(f"{self.name} did not answer {self.ready_url} ({self.log_path}):\n{self.log_tail()}")

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

    def child_pids(self) -> list[int]:
        """The pids of this server's direct children (gunicorn's workers)."""
        assert self.process is not None
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]


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


def sekmet_server(workdir: Path, token: str) -> ServerProcess:
    """sekmet-fhir on a free loopback port, accepting only `token` as bearer token.

    `workdir` is sekmet's alone: its settings, data, keys and log go there (it is made if missing).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    config = sekmet_config(workdir, free_port(), token)
    config_path = workdir / "sekmet.yaml"
    config_path.write_text(yaml.safe_dump(config))
    return ServerProcess(
        name="sekmet FHIR server",
        command=[str(Path(sys.executable).parent / "sekmet"), "serve", "-c", str(config_path)],
        base_url=config["base_url"],
        ready_url=f"{config['base_url']}/metadata",
        log_path=workdir / "sekmet.log",
        cwd=workdir,
    )


def gunicorn_server(workdir: Path, env: Mapping[str, str], options: Sequence[str] = ()) -> ServerProcess:
    """trialcds under gunicorn on a free loopback port, with the production settings as the Docker image
    runs them, client authentication off and a feedback database of its own in `workdir`.

    `options` are gunicorn command-line options over the production settings; `env` adds or overrides
    service settings (TRIALCDS_*).
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    return ServerProcess(
        name="trialcds under gunicorn",
        command=[
            sys.executable, "-m", "gunicorn", "--config", "python:cds.gunicorn_conf",
            "--bind", f"127.0.0.1:{port}", *options, "cds:create_app()",
        ],
        base_url=base_url,
        ready_url=f"{base_url}/cds-services",
        log_path=workdir / f"gunicorn-{port}.log",
        env={
            "TRIALCDS_AUTH": "off",
            "TRIALCDS_FEEDBACK_DATABASE": str(workdir / f"feedback-{port}.sqlite3"),
            **env,
        },
    )


def benchmark_service(workdir: Path, workers: int, env: Mapping[str, str]) -> ServerProcess:
    """trialcds under gunicorn as the benchmark times it: `workers` sync workers, and only warnings from
    the service (no "hook call" line per call).

    gunicorn's access line is written as in production, one JSON line per request into the server's
    log file in `workdir`: the production log settings (cds/gunicorn_conf.py `logconfig_dict`) route
    it, whatever `--access-logfile` says, and it costs about 0.3 ms of a worker's CPU per request.
    """
    return gunicorn_server(workdir, {"TRIALCDS_LOG_LEVEL": "WARNING", **env}, ["--workers", str(workers)])
