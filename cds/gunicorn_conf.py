"""gunicorn settings for production (`trialcds serve`, and the Docker image:
`gunicorn -c python:cds.gunicorn_conf 'cds:create_app()'`).

Workers: 2 per core is gunicorn's usual start for I/O-bound apps on these 2-core
machines; each worker makes its own FHIR callbacks in threads. The worker timeout is
well above the FHIR callback deadline (config FHIR_DEADLINE_SECONDS) so a slow EHR
server gives a 412, not a killed worker.
"""

from __future__ import annotations

import gc
import os
from typing import Any

bind = os.environ.get("TRIALCDS_BIND", "127.0.0.1:8080")
workers = int(os.environ.get("TRIALCDS_WORKERS", "2"))
# The app is built once, in the master, before the workers fork: a setting the service
# cannot use stops it once, with its message, and start-up warnings (TRIALCDS_AUTH=off,
# TRIALCDS_AS_OF) are logged once, not once per worker. The stores open their database
# connections in each worker, after the fork (cds/feedback/store.py, cds/security/replay.py).
preload_app = True
timeout = 30
graceful_timeout = 10
# No runtime control socket: nothing administers workers through it, and in a
# container the service user has no home folder to put it in.
control_socket_disable = True
# gunicorn's own lines (start, workers, access) as JSON lines too, all on stderr with the
# service's own (cds/log.py). Request lines are paths without patient data; bodies are
# never logged.
accesslog = "-"
errorlog = "-"
# gunicorn's default access line, less the query string and the Referer: the worksheet's
# OAuth callback carries a code and a state in its query, and a referring EHR page may
# name the patient.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "cds.log.JsonLineFormatter"}},
    # The handler names are gunicorn's own defaults, which this replaces.
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        "error_console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
    },
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
}


# Allocations between young-generation collections in a worker (CPython's default: 700).
YOUNG_GC_THRESHOLD = 10_000


def post_worker_init(worker: Any) -> None:
    """Move everything built at start-up (trial files, value sets, models) out of the GC's reach.

    A hook call allocates hundreds of thousands of short-lived objects (the parsed
    prefetch); each full collection it triggers would otherwise also walk every
    start-up object. Measured on a 1,000-resource patient: p95 136 -> 39 ms and CPU per
    call 42 -> 30 ms (docs/performance.md).

    A hook call also allocates tens of thousands of containers that die with it: with
    CPython's default of a young-generation collection every 700 allocations, those
    collections were 3 % of a call's instructions; every 10,000 they are a few per call.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GC_THRESHOLD, *gc.get_threshold()[1:])


def pre_request(worker: Any, req: Any) -> None:
    """No cyclic collection while a request is served.

    Almost everything a hook call allocates (the parsed prefetch, the facts, the
    evaluations) is alive until the answer is written, so every collection during the
    call walks it all and frees nothing; a third of `orjson.loads`'s time on the
    1,000-resource request was such collections. Once the call is over, reference
    counting has freed that tree, and the collection `post_request` allows finds only
    the call's few cycles (docs/performance.md). One request's cycles wait at most
    until it ends: memory stays bounded by one call.
    """
    gc.disable()


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    """Collection back on once the answer is written (see `pre_request`)."""
    gc.enable()


# The settings `trialcds serve` passes to gunicorn.
SETTINGS = (
    "workers",
    "preload_app",
    "timeout",
    "graceful_timeout",
    "control_socket_disable",
    "accesslog",
    "access_log_format",
    "errorlog",
    "logconfig_dict",
    "post_worker_init",
    "pre_request",
    "post_request",
)
