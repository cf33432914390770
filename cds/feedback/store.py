"""Durable feedback store over SQLAlchemy Core: SQLite by default, PostgreSQL when shared.

Several gunicorn workers (or instances, with PostgreSQL) write at once, so every
write is one idempotent statement: `INSERT … ON CONFLICT DO NOTHING` on a natural
key. The same feedback sent twice is stored once (CDS Hooks 2.0 §Feedback: "a CDS
Service may receive feedback for the same card instance multiple times").
SQLite runs in WAL mode with a busy timeout so that concurrent writers wait
instead of failing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError, ProgrammingError

from cds.database import open_engine
from cds.feedback.validation import FeedbackItem

# How long a SQLite writer waits for another worker's lock before failing.
SQLITE_BUSY_TIMEOUT_SECONDS = 10.0

metadata = MetaData()

cards_issued = Table(
    "cards_issued",
    metadata,
    Column("card_uuid", String(36), primary_key=True),
    Column("service_id", String(64), nullable=False),
    Column("trial_id", String(64), nullable=False),
    Column("issued_at", DateTime, nullable=False),
)

feedback = Table(
    "feedback",
    metadata,
    Column("service_id", String(64), nullable=False),
    Column("card_uuid", String(36), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("outcome_timestamp", DateTime, nullable=False),
    Column("accepted_suggestions", String(1024), nullable=False),
    Column("override_system", String(256)),
    Column("override_code", String(128)),
    Column("override_display", String(256)),
    Column("has_comment", Boolean, nullable=False),
    Column("received_at", DateTime, nullable=False),
    UniqueConstraint("service_id", "card_uuid", "outcome", "outcome_timestamp", name="feedback_once"),
)


@dataclass(frozen=True)
class ReportRow:
    """How often cards of one trial got one outcome with one override reason."""

    trial_id: str | None
    outcome: str
    override_code: str | None
    override_display: str | None
    count: int


def database_url(setting: str | None, instance_path: str) -> str:
    """A SQLAlchemy URL from the FEEDBACK_DATABASE setting (URL, file path, or unset)."""
    if setting and "://" in setting:
        return setting
    path = Path(setting) if setting else Path(instance_path) / "feedback.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path.resolve()}"


def _utc_naive(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC).replace(tzinfo=None)


class FeedbackStore:
    """Cards issued and feedback received, in one database."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = open_engine(url, SQLITE_BUSY_TIMEOUT_SECONDS)
        self._create_tables()
        # Built once: a card row is written on every hook call that shows a card.
        self._insert_card = self._insert(cards_issued)
        self._insert_feedback = self._insert(feedback)

    def _create_tables(self) -> None:
        try:
            metadata.create_all(self.engine)
        except (OperationalError, ProgrammingError):
            # Another worker created them between the check and the CREATE: check again.
            metadata.create_all(self.engine)

    def _insert(self, table: Table):  # type: ignore[no-untyped-def]
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table).on_conflict_do_nothing()

    def record_cards(self, service_id: str, card_trials: Sequence[tuple[str, str]]) -> None:
        """Remember which trial each issued card is about (no patient data)."""
        if not card_trials:
            return
        now = _utc_naive(datetime.datetime.now(datetime.UTC))
        rows = [
            {"card_uuid": card, "service_id": service_id, "trial_id": trial, "issued_at": now}
            for card, trial in card_trials
        ]
        with self.engine.begin() as connection:
            connection.execute(self._insert_card, rows)

    def add_feedback(self, service_id: str, items: Iterable[FeedbackItem]) -> None:
        """Store feedback items; an item already stored is left as it is."""
        now = _utc_naive(datetime.datetime.now(datetime.UTC))
        rows = [
            {
                "service_id": service_id,
                "card_uuid": item.card_uuid,
                "outcome": item.outcome,
                "outcome_timestamp": _utc_naive(item.outcome_timestamp),
                "accepted_suggestions": ",".join(item.accepted_suggestions),
                "override_system": item.override_system,
                "override_code": item.override_code,
                "override_display": item.override_display,
                "has_comment": item.has_comment,
                "received_at": now,
            }
            for item in items
        ]
        if rows:
            with self.engine.begin() as connection:
                connection.execute(self._insert_feedback, rows)

    def count_feedback(self) -> int:
        """How many feedback items are stored."""
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(feedback)).scalar_one())

    def report(self) -> list[ReportRow]:
        """Outcome and override-reason counts per trial (None: card not issued here)."""
        query = (
            select(
                cards_issued.c.trial_id,
                feedback.c.outcome,
                feedback.c.override_code,
                feedback.c.override_display,
                func.count().label("count"),
            )
            .select_from(feedback.outerjoin(cards_issued, feedback.c.card_uuid == cards_issued.c.card_uuid))
            .group_by(
                cards_issued.c.trial_id, feedback.c.outcome, feedback.c.override_code, feedback.c.override_display
            )
            .order_by(cards_issued.c.trial_id.asc().nulls_last(), feedback.c.outcome, func.count().desc())
        )
        with self.engine.connect() as connection:
            return [ReportRow(*row) for row in connection.execute(query)]

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()
