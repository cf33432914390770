"""What a live process has used so far, read from /proc: peak memory and CPU time.

The benchmark reads them for the gunicorn workers it started (`bench.servers`).
"""

from __future__ import annotations

import os
from pathlib import Path


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
