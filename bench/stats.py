"""Timing helpers: repeat a call, summarize durations as percentiles in milliseconds."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    """Percentiles of one series of durations, in milliseconds."""

    count: int
    p50: float
    p95: float
    p99: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Summary:
        """Summarize durations given in seconds (nearest-rank percentiles)."""
        ordered = sorted(seconds)
        if not ordered:
            raise ValueError("no durations to summarize")

        def rank(p: float) -> float:
            return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000

        return cls(len(ordered), rank(50), rank(95), rank(99))


def timed(call: Callable[[], object], repeat: int, warmup: int = 2) -> list[float]:
    """Run `call` `warmup` times unmeasured, then `repeat` times; return each duration in seconds."""
    for _ in range(warmup):
        call()
    durations = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        durations.append(time.perf_counter() - start)
    return durations
