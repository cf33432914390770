"""The yardstick: how long `orjson.loads` takes on each request body, in a fresh process.

Run apart from the benchmark so the parse is timed as a service worker would see it
(a small heap), not inside a process that holds every generated patient, where the
garbage collector makes parsing look slower and the service's ratio look better.

Usage: python -m bench.parse_time REPEAT BODY_FILE...  (prints one JSON object)
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson

from bench.stats import timed


def main(argv: list[str]) -> None:
    """Print {body file: [durations in seconds]} as JSON."""
    repeat, paths = int(argv[0]), [Path(p) for p in argv[1:]]
    results = {}
    for path in paths:
        body = path.read_bytes()
        results[str(path)] = timed(lambda: orjson.loads(body), repeat)
    sys.stdout.write(orjson.dumps(results).decode())


if __name__ == "__main__":
    main(sys.argv[1:])
