"""Concurrent load against the service: `wrk` when installed, else a Python load generator.

wrk (Debian: `apt-get install wrk`) is the standard tool and costs the 2-core machine
little CPU; the Python fallback uses threads with one HTTP session each, and itself
competes for the CPU, so its numbers are a floor.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

WRK_SCRIPT = """\
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open("{body}", "rb"))
wrk.body = f:read("*a")
f:close()
"""
HTTP_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured."""

    tool: str
    clients: int
    seconds: float
    requests: int
    errors: int

    @property
    def requests_per_second(self) -> float:
        """Completed requests per second over the run."""
        return self.requests / self.seconds


def _wrk(url: str, body_path: Path, clients: int, seconds: int, workdir: Path) -> LoadResult:
    script = workdir / "post.lua"
    script.write_text(WRK_SCRIPT.format(body=body_path))
    completed = subprocess.run(
        ["wrk", "-t", "1", "-c", str(clients), "-d", f"{seconds}s", "--timeout", f"{HTTP_TIMEOUT_SECONDS}s",
         "-s", str(script), url],
        capture_output=True, text=True, check=True,
    )
    out = completed.stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    if total is None:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    elapsed = float(total.group(2)) / (1000 if total.group(3) == "ms" else 1)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, socket.groups())) if socket else 0)
    return LoadResult("wrk", clients, elapsed, int(total.group(1)), errors)


def _python(url: str, body: bytes, clients: int, seconds: int) -> LoadResult:
    counts = {"ok": 0, "errors": 0}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        with requests.Session() as session:
            while time.monotonic() < stop_at:
                try:
                    response = session.post(url, data=body, headers={"Content-Type": "application/json"},
                                            timeout=HTTP_TIMEOUT_SECONDS)
                    key = "ok" if response.status_code == 200 else "errors"
                except requests.RequestException:
                    key = "errors"
                with lock:
                    counts[key] += 1

    start = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    return LoadResult("python threads (wrk not installed)", clients, elapsed, counts["ok"] + counts["errors"],
                      counts["errors"])


def run_load(url: str, body_path: Path, clients: int, seconds: int, workdir: Path) -> LoadResult:
    """POST the same hook request from `clients` concurrent clients for `seconds`."""
    if shutil.which("wrk"):
        return _wrk(url, body_path, clients, seconds, workdir)
    return _python(url, body_path.read_bytes(), clients, seconds)
