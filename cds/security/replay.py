"""Remember each client JWT jti until it expires, in a database every gunicorn worker shares."""

from __future__ import annotations

import os

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    MetaData,
    String,
    Table,
    delete,
    insert,
    update,
)
from sqlalchemy.exc import IntegrityError

from cds.database import create_tables, open_engine
from cds.security.policy import SecurityPolicy

_metadata = MetaData()

# The primary key makes "first use wins" an atomic insert in every worker and process.
seen_tokens = Table(
    "trialcds_client_jwt_seen",
    _metadata,
    Column("iss", String, primary_key=True),
    Column("jti", String, primary_key=True),
    Column("expires_at", BigInteger, nullable=False, index=True),
)


class ReplayStore:
    """A jti replay cache (CDS Hooks 2.0: jti is a nonce "to protect against replay attacks").

    An in-memory cache would let a token replayed to another worker, or after a
    restart, through; a SQLite file (one machine) or a PostgreSQL URL (several
    instances) does not.
    """

    def __init__(self, database_url: str, policy: SecurityPolicy) -> None:
        self._database_url = database_url
        self._policy = policy
        self._engine: Engine | None = None
        self._engine_pid: int | None = None
        self._last_purge = 0

    def claim(self, iss: str, jti: str, expires_at: int, now: int) -> bool:
        """Record (iss, jti) until expires_at; False when it is already held by an unexpired token.

        A row left over from an expired token is taken over in one conditional UPDATE,
        so two workers racing for it cannot both win.
        """
        engine = self._connected_engine()
        if now - self._last_purge >= self._policy.replay_purge_interval_seconds:
            self.purge_expired(now)
        try:
            with engine.begin() as connection:
                connection.execute(insert(seen_tokens).values(iss=iss, jti=jti, expires_at=expires_at))
            return True
        except IntegrityError:
            with engine.begin() as connection:
                taken_over = connection.execute(
                    update(seen_tokens)
                    .where(seen_tokens.c.iss == iss, seen_tokens.c.jti == jti, seen_tokens.c.expires_at <= now)
                    .values(expires_at=expires_at)
                )
            return taken_over.rowcount == 1

    def purge_expired(self, now: int) -> int:
        """Delete entries whose token has expired; return how many went."""
        with self._connected_engine().begin() as connection:
            deleted = connection.execute(delete(seen_tokens).where(seen_tokens.c.expires_at <= now))
        self._last_purge = now
        return deleted.rowcount

    def close(self) -> None:
        """Release this process's connections (a store is otherwise kept for the worker's life)."""
        if self._engine is not None and self._engine_pid == os.getpid():
            self._engine.dispose()
        self._engine = None

    def _connected_engine(self) -> Engine:
        """Create the engine in the process that uses it.

        gunicorn --preload forks workers after create_app; pooled connections must not
        cross a fork, so a child drops the parent's pool (without closing the parent's
        connections) and opens its own.
        """
        pid = os.getpid()
        if self._engine is None or self._engine_pid != pid:
            if self._engine is not None:
                self._engine.dispose(close=False)
            self._engine = open_engine(self._database_url, self._policy.replay_db_busy_timeout_seconds)
            self._engine_pid = pid
            create_tables(self._engine, _metadata)
        return self._engine
