"""Python's cyclic collector in the processes that evaluate patients: the local engine's
workers and Spark's Python workers.

Each evaluation allocates many short-lived objects and (since no engine structure forms a
reference cycle: tests/unit/engine/test_no_reference_cycles.py) frees them all by reference
counting. A collection while patients are evaluated only walks live objects; a full one
also walks everything loaded at start (trial files, value sets, models). So the start-up
objects are frozen out of the collector once, and collection is paused while a batch of
patients is evaluated, as the service's gunicorn workers do per request (cds/gunicorn_conf.py).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Allocations between young-generation collections (Python's default is 700).
YOUNG_COLLECTION_EVERY = 10_000


def settle() -> None:
    """Once the trials are loaded: what exists now stays out of every later collection."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])


@contextmanager
def paused() -> Iterator[None]:
    """No collection inside; one collection after, for anything a batch left in cycles."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()
