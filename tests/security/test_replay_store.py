"""The jti replay store: first use wins, across store instances (workers) sharing one SQLite file."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from cds.security.policy import load_policy
from cds.security.replay import ReplayStore

POLICY = load_policy()
NOW = 1_780_000_000
ISS = "https://ehr.example.org"


def store_at(path: Path) -> ReplayStore:
    return ReplayStore(f"sqlite:///{path}", POLICY)


def test_first_use_is_accepted_and_a_replay_is_not(tmp_path: Path) -> None:
    store = store_at(tmp_path / "replay.sqlite3")

    assert store.claim(ISS, "jti-1", NOW + 300, NOW) is True
    assert store.claim(ISS, "jti-1", NOW + 300, NOW + 1) is False


def test_replay_is_caught_by_another_worker_and_after_a_restart(tmp_path: Path) -> None:
    database = tmp_path / "replay.sqlite3"
    first_worker, second_worker = store_at(database), store_at(database)

    assert first_worker.claim(ISS, "jti-1", NOW + 300, NOW) is True
    assert second_worker.claim(ISS, "jti-1", NOW + 300, NOW) is False
    assert store_at(database).claim(ISS, "jti-1", NOW + 300, NOW + 5) is False


def test_same_jti_from_two_issuers_are_different_tokens(tmp_path: Path) -> None:
    store = store_at(tmp_path / "replay.sqlite3")

    assert store.claim(ISS, "jti-1", NOW + 300, NOW) is True
    assert store.claim("https://other-ehr.example.org", "jti-1", NOW + 300, NOW) is True


def test_jti_of_an_expired_token_may_be_used_again_once(tmp_path: Path) -> None:
    database = tmp_path / "replay.sqlite3"
    store_at(database).claim(ISS, "jti-1", NOW + 300, NOW)
    first_worker, second_worker = store_at(database), store_at(database)

    assert first_worker.claim(ISS, "jti-1", NOW + 900, NOW + 300) is True
    assert second_worker.claim(ISS, "jti-1", NOW + 900, NOW + 300) is False


def test_purge_deletes_only_expired_entries(tmp_path: Path) -> None:
    store = store_at(tmp_path / "replay.sqlite3")
    store.claim(ISS, "expired", NOW + 10, NOW)
    store.claim(ISS, "live", NOW + 300, NOW)

    assert store.purge_expired(NOW + 10) == 1
    assert store.claim(ISS, "live", NOW + 300, NOW + 11) is False


def _claim_in_a_new_process(database: str) -> bool:
    return store_at(Path(database)).claim(ISS, "raced-jti", NOW + 300, NOW)


def test_concurrent_workers_racing_for_one_jti_admit_exactly_one(tmp_path: Path) -> None:
    database = str(tmp_path / "replay.sqlite3")
    store_at(Path(database)).purge_expired(NOW)  # create the table before the race

    with multiprocessing.get_context("spawn").Pool(4) as workers:
        outcomes = workers.map(_claim_in_a_new_process, [database] * 8)

    assert sorted(outcomes) == [False] * 7 + [True]
