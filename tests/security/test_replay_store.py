"""The jti replay store: first use wins, across store instances (workers, or service instances)
sharing one database: a SQLite file on one machine, PostgreSQL behind a load balancer (the CI
cluster of .ci/run; `store_database` in tests/conftest.py runs each test on both)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator

import pytest

from cds.security.policy import load_policy
from cds.security.replay import ReplayStore

POLICY = load_policy()
NOW = 1_780_000_000
ISS = "https://ehr.example.org"


@pytest.fixture
def stores(store_database: str) -> Iterator[list[ReplayStore]]:
    """Make stores on the test's database (one per worker or instance); all closed at the end."""
    made: list[ReplayStore] = []
    yield made
    for store in made:
        store.close()


def store_on(stores: list[ReplayStore], url: str) -> ReplayStore:
    store = ReplayStore(url, POLICY)
    stores.append(store)
    return store


def test_first_use_is_accepted_and_a_replay_is_not(stores, store_database) -> None:
    store = store_on(stores, store_database)

    assert store.claim(ISS, "jti-1", NOW + 300, NOW) is True
    assert store.claim(ISS, "jti-1", NOW + 300, NOW + 1) is False


def test_replay_is_caught_by_another_worker_and_after_a_restart(stores, store_database) -> None:
    first_worker, second_worker = store_on(stores, store_database), store_on(stores, store_database)

    assert first_worker.claim(ISS, "jti-1", NOW + 300, NOW) is True
    assert second_worker.claim(ISS, "jti-1", NOW + 300, NOW) is False
    assert store_on(stores, store_database).claim(ISS, "jti-1", NOW + 300, NOW + 5) is False


def test_same_jti_from_two_issuers_are_different_tokens(stores, store_database) -> None:
    store = store_on(stores, store_database)

    assert store.claim(ISS, "jti-1", NOW + 300, NOW) is True
    assert store.claim("https://other-ehr.example.org", "jti-1", NOW + 300, NOW) is True


def test_jti_of_an_expired_token_may_be_used_again_once(stores, store_database) -> None:
    store_on(stores, store_database).claim(ISS, "jti-1", NOW + 300, NOW)
    first_worker, second_worker = store_on(stores, store_database), store_on(stores, store_database)

    assert first_worker.claim(ISS, "jti-1", NOW + 900, NOW + 300) is True
    assert second_worker.claim(ISS, "jti-1", NOW + 900, NOW + 300) is False


def test_purge_deletes_only_expired_entries(stores, store_database) -> None:
    store = store_on(stores, store_database)
    store.claim(ISS, "expired", NOW + 10, NOW)
    store.claim(ISS, "live", NOW + 300, NOW)

    assert store.purge_expired(NOW + 10) == 1
    assert store.claim(ISS, "live", NOW + 300, NOW + 11) is False


def _claim_in_a_new_process(url: str) -> bool:
    store = ReplayStore(url, POLICY)
    try:
        return store.claim(ISS, "raced-jti", NOW + 300, NOW)
    finally:
        store.close()


def test_concurrent_workers_racing_for_one_jti_admit_exactly_one(store_database) -> None:
    """Eight processes, each creating its own connection (and racing to create the table), claim one jti."""
    with multiprocessing.get_context("spawn").Pool(4) as workers:
        outcomes = workers.map(_claim_in_a_new_process, [store_database] * 8)

    assert sorted(outcomes) == [False] * 7 + [True]
