"""The worker's collector settings around a request (cds/gunicorn_conf.py): off while a
request is served, back on once it is answered, so one call's cycles never outlive it."""

from __future__ import annotations

import gc

from cds import gunicorn_conf


def test_collection_is_off_during_a_request_and_back_on_after_it() -> None:
    assert {"pre_request", "post_request"} <= set(gunicorn_conf.SETTINGS)  # what `trialcds serve` passes
    try:
        gunicorn_conf.pre_request(None, None)
        assert not gc.isenabled()
        gunicorn_conf.post_request(None, None, {}, None)
        assert gc.isenabled()
    finally:
        gc.enable()
