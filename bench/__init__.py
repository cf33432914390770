"""Benchmarks of trialcds: generated long-record patients, timings, load and memory (see docs/performance.md)."""

from pathlib import Path

# Where the benchmark runs its subprocesses and writes its report (`python -m bench.run` is run from here).
REPO_ROOT = Path(__file__).resolve().parents[1]
