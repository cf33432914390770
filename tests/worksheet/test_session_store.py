"""The session store: a row opens only with its browser's secret, ends on time, and keeps
no token or patient id in the clear."""

from __future__ import annotations

import sqlite3

from cds.worksheet.store import SessionStore, new_token

SESSION = {"iss": "https://ehr.example.org/fhir", "access_token": "ehr-token-9f2c", "patient": "demo-eligible"}


def test_a_session_opens_with_its_handle_and_secret(tmp_path):
    store = SessionStore(f"sqlite:///{tmp_path / 's.sqlite3'}")
    handle, secret = new_token(), new_token()
    store.put(handle, secret, SESSION, 900)
    opened = store.get(handle, secret)
    assert opened is not None and opened.data == SESSION


def test_a_session_does_not_open_with_another_secret_or_handle(tmp_path):
    store = SessionStore(f"sqlite:///{tmp_path / 's.sqlite3'}")
    handle, secret = new_token(), new_token()
    store.put(handle, secret, SESSION, 900)
    assert store.get(handle, new_token()) is None
    assert store.get(new_token(), secret) is None


def test_an_expired_session_is_gone_and_purged_on_the_next_write(tmp_path):
    store = SessionStore(f"sqlite:///{tmp_path / 's.sqlite3'}")
    handle, secret = new_token(), new_token()
    store.put(handle, secret, SESSION, 0)
    assert store.get(handle, secret) is None
    assert store.count() == 1
    store.put(new_token(), new_token(), SESSION, 900)
    assert store.count() == 1


def test_a_deleted_session_is_gone(tmp_path):
    store = SessionStore(f"sqlite:///{tmp_path / 's.sqlite3'}")
    handle, secret = new_token(), new_token()
    store.put(handle, secret, SESSION, 900)
    store.delete(handle)
    assert store.get(handle, secret) is None


def test_the_database_holds_neither_the_token_nor_the_patient_nor_the_handle(tmp_path):
    path = tmp_path / "s.sqlite3"
    store = SessionStore(f"sqlite:///{path}")
    handle, secret = new_token(), new_token()
    store.put(handle, secret, SESSION, 900)
    store.get(handle, secret)
    with sqlite3.connect(path) as connection:
        raw = repr(connection.execute("SELECT * FROM worksheet_sessions").fetchall())
    for clear in (SESSION["access_token"], SESSION["patient"], handle, secret):
        assert clear not in raw


def test_two_stores_on_one_database_share_sessions(tmp_path):
    """As two gunicorn workers do."""
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    handle, secret = new_token(), new_token()
    SessionStore(url).put(handle, secret, SESSION, 900)
    opened = SessionStore(url).get(handle, secret)
    assert opened is not None and opened.data == SESSION
