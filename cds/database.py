"""One way to open a SQLAlchemy engine for the service's small shared stores.

The feedback store and the JWT replay store are written by several gunicorn workers at
once. On SQLite that needs WAL (readers never block the writer), a busy timeout (a
worker waits for the write lock instead of failing) and, in WAL mode,
`synchronous=NORMAL`: still safe if a worker process dies, one fsync less per commit.
A server database (PostgreSQL) may drop idle connections, so it is pinged on checkout.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError


def open_engine(url: str, busy_timeout_seconds: float) -> Engine:
    """An engine for `url`, with the SQLite settings above when it is a SQLite file."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": busy_timeout_seconds})

    @event.listens_for(engine, "connect")
    def _sqlite_settings(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def create_tables(engine: Engine, metadata: MetaData) -> None:
    """Create the tables (and their indexes) that do not exist yet.

    Workers and instances start at once and race to create them: the loser's CREATE
    fails (SQLite: "table already exists"; PostgreSQL: a duplicate in pg_type or
    pg_class), and once the winner's tables exist a second check finds them.
    """
    try:
        metadata.create_all(engine)
    except (IntegrityError, OperationalError, ProgrammingError):
        metadata.create_all(engine)
