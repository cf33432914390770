"""The worksheet's settings: defaults, TRIALCDS_WORKSHEET_* variables, and their checks.

The worksheet also reads two service settings: FHIR_SERVERS, the allow-list of FHIR
base URLs the service may send an EHR's access token to (for the worksheet: the `iss`
values an EHR may launch it with), and PUBLIC_BASE_URL, the base URL browsers reach
the service at (the OAuth redirect URI and the card's launch link are built on it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cds.config import ConfigError
from cds.feedback.store import database_url

DEFAULTS: dict[str, Any] = {
    # The client id the EHR registered the worksheet under.
    "WORKSHEET_CLIENT_ID": "trialcds-worksheet",
    # A confidential client's secret (sent with HTTP Basic to the token endpoint);
    # unset: a public client, protected by PKCE alone (SMART App Launch "client-public").
    "WORKSHEET_CLIENT_SECRET": None,
    # How long a launch stays open, from the EHR's launch to the last page view: a
    # coordinator reads and prints one patient's worksheet in minutes, and the EHR's
    # access token is kept (encrypted) only this long. The token's own expiry, if
    # shorter, ends the session sooner.
    "WORKSHEET_SESSION_SECONDS": 900,
    # Session store: a SQLite file path or a SQLAlchemy URL (shared by every gunicorn
    # worker); unset = worksheet-sessions.sqlite3 in the Flask instance folder.
    "WORKSHEET_DATABASE": None,
}


@dataclass(frozen=True)
class WorksheetSettings:
    """Checked worksheet settings."""

    client_id: str
    client_secret: str | None
    session_seconds: int
    database_url: str
    allowed_issuers: tuple[str, ...]
    public_base_url: str | None

    @classmethod
    def from_config(cls, config: Mapping[str, Any], instance_path: str) -> WorksheetSettings:
        """Read the worksheet's settings from a checked app config (cds.config).

        :raise ConfigError: a setting cannot be used; the message names it.
        """
        values = {key: config.get(key, default) for key, default in DEFAULTS.items()}
        # An id or secret of digits arrives from the environment as a number (Flask reads
        # TRIALCDS_* values as JSON when they parse); both are strings to the EHR.
        client_id = _text(values["WORKSHEET_CLIENT_ID"])
        if not client_id:
            raise ConfigError("WORKSHEET_CLIENT_ID must be a non-empty string")
        try:
            seconds = int(values["WORKSHEET_SESSION_SECONDS"])
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"WORKSHEET_SESSION_SECONDS must be a number, got {values['WORKSHEET_SESSION_SECONDS']!r}"
            ) from exc
        if seconds <= 0:
            raise ConfigError(f"WORKSHEET_SESSION_SECONDS must be positive, got {seconds}")
        public_base_url = config.get("PUBLIC_BASE_URL")
        return cls(
            client_id=client_id,
            client_secret=_text(values["WORKSHEET_CLIENT_SECRET"]) or None,
            session_seconds=seconds,
            database_url=_database_url(values["WORKSHEET_DATABASE"], instance_path),
            allowed_issuers=tuple(config["FHIR_SERVERS"]),
            public_base_url=public_base_url.rstrip("/") if public_base_url else None,
        )


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _database_url(setting: str | None, instance_path: str) -> str:
    """WORKSHEET_DATABASE as a SQLAlchemy URL, as the feedback store reads its own setting."""
    return database_url(setting or str(Path(instance_path) / "worksheet-sessions.sqlite3"), instance_path)
