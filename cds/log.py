"""JSON-lines logging: one object per line, with only fields the caller chose.

Callers pass safe fields with `extra={"fields": {...}}` (hookInstance, timings,
counts, error codes). Patient ids, names, values, card text and tokens never go in.
"""

from __future__ import annotations

import datetime
import logging

import orjson

SERVICE_LOGGER = "cds"
_HANDLER_NAME = "trialcds-json"


class JsonLineFormatter(logging.Formatter):
    """Render a record as one JSON object: time, level, logger, event and its fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(level: str) -> None:
    """Send the service's logs to stderr as JSON lines (once per process).

    When the host process already routes logs (gunicorn's logconfig_dict in
    cds.gunicorn_conf, pytest's capture), the service's records go there instead, so
    no line is written twice. urllib3 logs request URLs at DEBUG, and those hold
    patient ids, so it is kept at WARNING whatever the service's level.
    """
    logger = logging.getLogger(SERVICE_LOGGER)
    logger.setLevel(level.upper())
    routed = bool(logging.getLogger().handlers)
    if not routed and not any(h.get_name() == _HANDLER_NAME for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.set_name(_HANDLER_NAME)
        handler.setFormatter(JsonLineFormatter())
        logger.addHandler(handler)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
