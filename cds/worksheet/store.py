"""Short-lived worksheet sessions, server-side, shared by every gunicorn worker.

A row holds what a launch needs between requests (the PKCE verifier and token
endpoint while the EHR authorizes; the access token, FHIR base and patient id once it
has). Each row is found by a hash of a public handle and encrypted (AES-GCM) with a
key derived from a secret the browser alone holds in an HttpOnly cookie; the server
never stores that secret. So a copy of the database opens no session and shows no
token or patient id, and a handle alone (from a URL) opens nothing.

SQLAlchemy Core, like the feedback store: SQLite (WAL) by default, any server database
by URL. Expired rows are deleted on every write.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
)
from sqlalchemy.exc import OperationalError, ProgrammingError

from cds.database import open_engine

# How long a SQLite writer waits for another worker's lock before failing.
SQLITE_BUSY_TIMEOUT_SECONDS = 10.0
# Bytes of randomness in a handle and in a browser secret (256 bits each).
TOKEN_BYTES = 32
_NONCE_BYTES = 12
_KEY_LABEL = b"trialcds worksheet session key v1"

_metadata = MetaData()

sessions = Table(
    "worksheet_sessions",
    _metadata,
    Column("handle_hash", String(64), primary_key=True),
    Column("expires_at", DateTime, nullable=False, index=True),
    Column("sealed", LargeBinary, nullable=False),
)


def new_token() -> str:
    """A fresh random handle or browser secret, URL- and cookie-safe."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def _handle_hash(handle: str) -> str:
    return hashlib.sha256(handle.encode()).hexdigest()


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _KEY_LABEL, hashlib.sha256).digest()


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class OpenedSession:
    """A session's content and when it ends (UTC)."""

    data: dict[str, Any]
    expires_at: datetime.datetime


class SessionStore:
    """Encrypted, expiring key-value rows: `put(handle, secret, data)`, `get(handle, secret)`."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._engine: Engine | None = None
        self._engine_pid: int | None = None

    def _connected(self) -> Engine:
        """The engine of this process: a worker forked after start-up opens its own."""
        if self._engine is None or self._engine_pid != os.getpid():
            self._engine = open_engine(self._url, SQLITE_BUSY_TIMEOUT_SECONDS)
            self._engine_pid = os.getpid()
            try:
                _metadata.create_all(self._engine)
            except (OperationalError, ProgrammingError):
                # Another worker created the table between the check and the CREATE.
                _metadata.create_all(self._engine)
        return self._engine

    def put(self, handle: str, secret: str, data: dict[str, Any], lifetime_seconds: int) -> datetime.datetime:
        """Store `data` under `handle`, sealed with `secret`, for `lifetime_seconds`; return when it ends."""
        now = _now()
        expires_at = now + datetime.timedelta(seconds=lifetime_seconds)
        nonce = secrets.token_bytes(_NONCE_BYTES)
        key_id = _handle_hash(handle)
        sealed = nonce + AESGCM(_key(secret)).encrypt(nonce, orjson.dumps(data), key_id.encode())
        with self._connected().begin() as connection:
            connection.execute(delete(sessions).where(sessions.c.expires_at <= now))
            connection.execute(insert(sessions).values(handle_hash=key_id, expires_at=expires_at, sealed=sealed))
        return expires_at

    def get(self, handle: str, secret: str) -> OpenedSession | None:
        """The data stored under `handle`, or None: unknown, expired, or not sealed with this secret."""
        key_id = _handle_hash(handle)
        with self._connected().connect() as connection:
            row = connection.execute(
                select(sessions.c.expires_at, sessions.c.sealed).where(sessions.c.handle_hash == key_id)
            ).first()
        if row is None or row.expires_at <= _now():
            return None
        nonce, ciphertext = row.sealed[:_NONCE_BYTES], row.sealed[_NONCE_BYTES:]
        try:
            plain = AESGCM(_key(secret)).decrypt(nonce, ciphertext, key_id.encode())
        except InvalidTag:
            return None
        return OpenedSession(orjson.loads(plain), row.expires_at)

    def delete(self, handle: str) -> None:
        """End a session now."""
        with self._connected().begin() as connection:
            connection.execute(delete(sessions).where(sessions.c.handle_hash == _handle_hash(handle)))

    def count(self) -> int:
        """How many rows the store holds, expired ones included (for tests and operators)."""
        with self._connected().connect() as connection:
            return len(connection.execute(select(sessions.c.handle_hash)).all())
