"""Durable feedback store over SQLAlchemy Core: SQLite by default, PostgreSQL when shared.

Several gunicorn workers (or instances, with PostgreSQL) write at once, so every
write is one idempotent statement: `INSERT … ON CONFLICT DO NOTHING` on a natural
key. The same feedback sent twice is stored once (CDS Hooks 2.0 §Feedback: "a CDS
Service may receive feedback for the same card instance multiple times").
SQLite runs in WAL mode with a busy timeout so that concurrent writers wait
instead of failing.

The report counts cards, not feedback events: each card counts once, with its latest
outcome (a double click, or a card first accepted then overridden, is one card). For
each card sent, the override reasons it offered are kept, so an override sent with the
code alone (as the CDS Hooks sandbox sends it) is reported with the card's display.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    and_,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from cds.database import create_tables, open_engine
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

# The override reasons each card offered (CDS Hooks 2.0 §Card: overrideReasons), so a
# reason fed back with its code alone can be shown with the display the card gave it.
card_override_reasons = Table(
    "card_override_reasons",
    metadata,
    Column("card_uuid", String(36), primary_key=True),
    Column("system", String(256), primary_key=True),
    Column("code", String(128), primary_key=True),
    Column("display", String(256), nullable=False),
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
class IssuedCard:
    """What the report needs to remember of a card the service sent (no patient data)."""

    card_uuid: str
    trial_id: str
    # (system, code, display) of each override reason the card offered.
    override_reasons: tuple[tuple[str, str, str], ...]

    @classmethod
    def of(cls, card: Mapping[str, Any], trial_id: str) -> IssuedCard:
        """The card as CDS Hooks 2.0 §Card writes it, about `trial_id`."""
        reasons = tuple((r["system"], r["code"], r["display"]) for r in card.get("overrideReasons", ()))
        return cls(card["uuid"], trial_id, reasons)


@dataclass(frozen=True)
class ReportRow:
    """How many cards of one trial have one latest outcome with one override reason."""

    trial_id: str | None
    outcome: str
    override_code: str | None
    override_display: str | None
    cards: int


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
        create_tables(self.engine, metadata)
        # No pooled connection may cross gunicorn's fork (preload_app, cds/gunicorn_conf.py):
        # each worker opens its own on first use.
        self.engine.dispose()
        # Built once: card rows are written on every hook call that shows a card.
        self._insert_card = self._insert(cards_issued)
        self._insert_reason = self._insert(card_override_reasons)
        self._insert_feedback = self._insert(feedback)

    def _insert(self, table: Table):  # type: ignore[no-untyped-def]
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table).on_conflict_do_nothing()

    def record_cards(self, service_id: str, cards: Sequence[IssuedCard]) -> None:
        """Remember which trial each issued card is about and the override reasons it offered (no patient data)."""
        if not cards:
            return
        now = _utc_naive(datetime.datetime.now(datetime.UTC))
        rows = [
            {"card_uuid": card.card_uuid, "service_id": service_id, "trial_id": card.trial_id, "issued_at": now}
            for card in cards
        ]
        reasons = [
            {"card_uuid": card.card_uuid, "system": system, "code": code, "display": display}
            for card in cards
            for system, code, display in card.override_reasons
        ]
        with self.engine.begin() as connection:
            connection.execute(self._insert_card, rows)
            if reasons:
                connection.execute(self._insert_reason, reasons)

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
        """Cards per trial by their latest outcome and override reason (trial None: card not issued here).

        A card's latest feedback is the one with the latest `outcomeTimestamp` (then the
        last received). An override reason without a display takes the one the card offered.
        """
        ranked = select(
            feedback.c.card_uuid,
            feedback.c.outcome,
            feedback.c.override_system,
            feedback.c.override_code,
            feedback.c.override_display,
            func.row_number()
            .over(
                partition_by=(feedback.c.service_id, feedback.c.card_uuid),
                order_by=(feedback.c.outcome_timestamp.desc(), feedback.c.received_at.desc(), feedback.c.outcome.desc()),
            )
            .label("position"),
        ).subquery()
        offered = card_override_reasons
        display = func.coalesce(ranked.c.override_display, offered.c.display).label("display")
        query = (
            select(cards_issued.c.trial_id, ranked.c.outcome, ranked.c.override_code, display, func.count().label("cards"))
            .select_from(
                ranked.outerjoin(cards_issued, ranked.c.card_uuid == cards_issued.c.card_uuid).outerjoin(
                    offered,
                    and_(
                        offered.c.card_uuid == ranked.c.card_uuid,
                        offered.c.system == ranked.c.override_system,
                        offered.c.code == ranked.c.override_code,
                    ),
                )
            )
            .where(ranked.c.position == 1)
            .group_by(cards_issued.c.trial_id, ranked.c.outcome, ranked.c.override_code, display)
            .order_by(cards_issued.c.trial_id.asc().nulls_last(), ranked.c.outcome, func.count().desc(), ranked.c.override_code)
        )
        with self.engine.connect() as connection:
            return [ReportRow(*row) for row in connection.execute(query)]

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()
