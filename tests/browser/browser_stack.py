"""The demo stack the browser tests run against, started the way the README starts it
(`trialcds demo-worksheet`), and the browser that drives it (Debian's chromium)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import BrowserContext, Page

from cds.demo.worksheet_stack import free_port

AS_OF = "2026-06-15"
CHROMIUM = "/usr/bin/chromium"
# Debian's chromium, headless, with nothing that reaches out to the network by itself.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# sekmet, the mock EHR and two gunicorn workers start in about 10 s on the 2-core CI machine;
# the margin covers a loaded machine. Not a test assertion.
STARTUP_LIMIT_SECONDS = 180.0
STOP_LIMIT_SECONDS = 30.0
READY_LINE = "Ctrl+C stops everything."
LAUNCH_LINE = re.compile(r"^\s+(\S+)\s+(http://\S+/worksheet/launch\?\S+)$", re.MULTILINE)


@dataclass
class DemoStack:
    """`trialcds demo-worksheet` while it runs: the service's URL, one launch URL per demo patient, its log."""

    service_url: str
    ehr_url: str
    launch_urls: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes]

    def log_text(self) -> str:
        """Everything the demo printed: its own lines and the service's JSON log."""
        return self.log_path.read_text(errors="replace")


def start_demo(workdir: Path) -> DemoStack:
    """Run `trialcds demo-worksheet` on free ports and wait for its launch URLs."""
    port, ehr_port = free_port(), free_port()
    log_path = workdir / "demo-worksheet.log"
    command = [
        str(Path(sys.executable).parent / "trialcds"),
        "demo-worksheet", "--as-of", AS_OF, "--port", str(port), "--ehr-port", str(ehr_port),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
    while READY_LINE not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_demo(process)
            raise RuntimeError(f"trialcds demo-worksheet did not start:\n{log_path.read_text(errors='replace')[-4000:]}")
        time.sleep(0.5)
    urls = dict(LAUNCH_LINE.findall(log_path.read_text(errors="replace")))
    return DemoStack(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{ehr_port}", urls, log_path, process)


def stop_demo(process: subprocess.Popen[bytes]) -> None:
    """Stop the demo as Ctrl+C or a container stop would; it stops the servers it started."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_LIMIT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Visit:
    """A browser context and every URL it requested (redirect hops included)."""

    context: BrowserContext
    urls: list[str] = field(default_factory=list)

    def open_worksheet(self, demo: DemoStack, name: str) -> Page:
        """Open the demo patient's launch URL, as the EHR does from the card's smart link."""
        page = self.context.new_page()
        response = page.goto(demo.launch_urls[name])
        assert response is not None and response.status == 200, page.content()
        assert page.url.startswith(f"{demo.service_url}/worksheet/w/")
        return page
