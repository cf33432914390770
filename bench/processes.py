"""Servers the benchmark starts on 127.0.0.1 (trialcds under gunicorn, sekmet-fhir), and their memory.

Each runs as a subprocess that the benchmark started and stops itself by its own pid.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
# How long a server may take to answer its readiness URL on a busy 2-core machine.
STARTUP_LIMIT_SECONDS = 60.0
STARTUP_POLL_SECONDS = 0.2
STOP_LIMIT_SECONDS = 15.0


class ServerStartError(RuntimeError):
    """A server exited, or never answered its readiness URL."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """One server subprocess: its command, log file and readiness URL."""

    name: str
    command: list[str]
    ready_url: str
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path = REPO_ROOT
    process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command, cwd=self.cwd, env={**os.environ, **self.env},
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerStartError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            try:
                if requests.get(self.ready_url, timeout=2).status_code == 200:
                    return self
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or still importing the app
            time.sleep(STARTUP_POLL_SECONDS)
        self.stop()
        raise ServerStartError(f"{self.name} did not answer {self.ready_url}; see {self.log_path}")

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers; wait for the exit."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_LIMIT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def child_pids(self) -> list[int]:
        """The pids of this server's direct children (gunicorn's workers)."""
        assert self.process is not None
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]


def gunicorn_server(workdir: Path, workers: int, env: dict[str, str]) -> Server:
    """trialcds under gunicorn with `workers` sync workers, the repo's gunicorn settings otherwise."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    return Server(
        name="trialcds under gunicorn",
        command=[
            sys.executable, "-m", "gunicorn", "--config", "python:cds.gunicorn_conf",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            # Access lines for thousands of load requests would only cost time.
            "--access-logfile", "/dev/null", "cds:create_app()",
        ],
        ready_url=f"{base_url}/cds-services",
        log_path=workdir / f"gunicorn-{port}.log",
        env={
            "TRIALCDS_AUTH": "off",
            "TRIALCDS_FEEDBACK_DATABASE": str(workdir / f"feedback-{port}.sqlite3"),
            "TRIALCDS_LOG_LEVEL": "WARNING",
            **env,
        },
    )


def peak_rss_mb(pid: int) -> float:
    """The peak resident set size (VmHWM) of a live process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for pid {pid}")


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time the processes have used so far, in seconds.

    CPU per request does not depend on what else runs on the machine, unlike wall time,
    so it shows what the service would do on idle cores.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        # Fields after the command name (which may hold spaces) start at field 3 (state).
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks
