"""Service configuration: defaults, TRIALCDS_* environment variables, and their checks.

Every setting has one default here, with the reason for its value, and can be set
from the environment as `TRIALCDS_<KEY>` (Flask's `from_prefixed_env`). Values are
checked once at start so that a misconfigured deployment fails before serving.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, MutableMapping
from typing import Any
from urllib.parse import urlsplit

DEFAULTS: dict[str, Any] = {
    # Client JWT authentication (issue 5); "off" is for local demos only.
    "AUTH": "on",
    # Evaluation date override (YYYY-MM-DD), for tests and demos only; unset = today.
    "AS_OF": None,
    # FHIR base URLs the service may call with the client's access token.
    # Empty: no callbacks at all, only prefetch (CDS Hooks 2.0 §Trusting CDS Clients).
    "FHIR_SERVERS": [],
    # Call an allow-listed fhirServer when the request has no fhirAuthorization.
    # The spec grants no access then (§FHIR Resource Access); on only for open test servers.
    "FHIR_ALLOW_NO_TOKEN": False,
    # Per-request connect and read timeouts, and one deadline for all callbacks of a
    # hook call: CDS Hooks asks for ~500 ms answers and Da Vinci CRD allows 5 s
    # (checklist §2), so the callbacks must finish well inside 5 s.
    "FHIR_CONNECT_TIMEOUT_SECONDS": 2.0,
    "FHIR_READ_TIMEOUT_SECONDS": 4.0,
    "FHIR_DEADLINE_SECONDS": 4.5,
    # Concurrent callbacks per hook call (one per prefetch key at most).
    "FHIR_MAX_PARALLEL": 8,
    # Results per page each search asks for (`_count`, in discovery's templates and in
    # the service's own searches). Servers page at 20 by default (HAPI FHIR, sekmet), and
    # a 10,000-resource record then takes hundreds of round trips (issue 11); servers cap
    # it (sekmet at 1,000, HAPI FHIR at its configured maximum), and `next` links are followed.
    "FHIR_SEARCH_COUNT": 1000,
    # The Observation search asks only for the LOINC codes the criteria read, by this FHIR R4
    # search parameter. `combo-code` (Observation.code | Observation.component.code) also
    # returns a panel whose analyte is a component, which the ground rules count as a result
    # (criteria-nct05247203.md, "Lab results"); `code` is for a server without it (then a
    # component-only result is never sent); `none` asks for every Observation (complete on any
    # server, a larger prefetch).
    "FHIR_OBSERVATION_CODE_PARAMETER": "combo-code",
    # A search that returns more than this many resources or pages is incomplete:
    # sized for a 10,000-resource patient record.
    "FHIR_SEARCH_MAX_RESOURCES": 20000,
    "FHIR_SEARCH_MAX_PAGES": 500,
    # Largest hook request body: a full prefetch of a 10,000-resource patient is ~30 MB.
    "MAX_CONTENT_LENGTH": 50 * 1024 * 1024,
    # Trial files folder; unset = the trials shipped in the cds/trials package.
    "TRIALS_DIR": None,
    # Feedback store: a file path (SQLite) or a SQLAlchemy URL (postgresql+psycopg://…);
    # unset = feedback.sqlite3 in the Flask instance folder.
    "FEEDBACK_DATABASE": None,
    # Show an info card to an ineligible patient who becomes eligible within this many
    # days (issue 3, "Cards").
    "CARD_ELIGIBLE_SOON": True,
    "CARD_ELIGIBLE_SOON_DAYS": 60,
    # Most cards in one answer, one per trial, the fewest items to confirm first (issue 12);
    # the trials left out are named in the last card. Three fit a CDS panel without scrolling.
    "CARD_MAX": 3,
    # Browser origins allowed to call the service (CORS); the CDS Hooks sandbox by default.
    "CORS_ORIGINS": ["https://sandbox.cds-hooks.org"],
    # Python logging level of the service's JSON log.
    "LOG_LEVEL": "INFO",
}


class ConfigError(ValueError):
    """A setting has a value the service cannot run with."""


def _as_list(value: Any) -> list[str]:
    """Accept a JSON list or a comma-separated string (the form env variables take)."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple)):
        return [str(part).strip() for part in value if str(part).strip()]
    raise ConfigError(f"expected a comma-separated list, got {value!r}")


def _as_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"on", "true", "1", "yes"}:
        return True
    if isinstance(value, str) and value.lower() in {"off", "false", "0", "no"}:
        return False
    raise ConfigError(f"{key} must be on or off, got {value!r}")


def _as_number(key: str, value: Any, kind: type) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{key} must be a number, got {value!r}") from exc
    if number <= 0:
        raise ConfigError(f"{key} must be positive, got {value!r}")
    return number


def normalize_base_url(url: str) -> str:
    """Return a FHIR base URL in the one form used for allow-list comparison."""
    return url.strip().rstrip("/")


def _fhir_servers(value: Any) -> list[str]:
    servers = [normalize_base_url(url) for url in _as_list(value)]
    for url in servers:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigError(f"FHIR_SERVERS entry is not an http(s) base URL: {url!r}")
    return servers


def _cors_origins(value: Any) -> list[str]:
    origins = [origin.rstrip("/") for origin in _as_list(value)]
    if "*" in origins:
        raise ConfigError("CORS_ORIGINS must list origins; '*' is not allowed")
    return origins


OBSERVATION_CODE_PARAMETERS = ("combo-code", "code", "none")


def _observation_code_parameter(value: Any) -> str | None:
    """The search parameter of the Observation search's code filter; None: no filter."""
    name = str(value).strip().lower()
    if name not in OBSERVATION_CODE_PARAMETERS:
        raise ConfigError(f"FHIR_OBSERVATION_CODE_PARAMETER must be one of {', '.join(OBSERVATION_CODE_PARAMETERS)}, "
                          f"got {value!r}")
    return None if name == "none" else name


def _as_of(value: Any) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"AS_OF must be YYYY-MM-DD, got {value!r}") from exc


def _auth(value: Any) -> Any:
    # The client-auth module (cds.security) checks the value and owns its message.
    return value.lower() if isinstance(value, str) else value


def normalize(config: MutableMapping[str, Any]) -> None:
    """Turn raw settings (env strings or test values) into typed values, in place.

    :raise ConfigError: a setting cannot be used; the message names it.
    """
    config["AUTH"] = _auth(config["AUTH"])
    config["AS_OF"] = _as_of(config["AS_OF"])
    config["FHIR_SERVERS"] = _fhir_servers(config["FHIR_SERVERS"])
    config["CORS_ORIGINS"] = _cors_origins(config["CORS_ORIGINS"])
    config["FHIR_OBSERVATION_CODE_PARAMETER"] = _observation_code_parameter(config["FHIR_OBSERVATION_CODE_PARAMETER"])
    for key in ("FHIR_ALLOW_NO_TOKEN", "CARD_ELIGIBLE_SOON"):
        config[key] = _as_bool(key, config[key])
    for key in ("FHIR_CONNECT_TIMEOUT_SECONDS", "FHIR_READ_TIMEOUT_SECONDS", "FHIR_DEADLINE_SECONDS"):
        config[key] = _as_number(key, config[key], float)
    for key in (
        "FHIR_MAX_PARALLEL",
        "FHIR_SEARCH_COUNT",
        "FHIR_SEARCH_MAX_RESOURCES",
        "FHIR_SEARCH_MAX_PAGES",
        "MAX_CONTENT_LENGTH",
        "CARD_ELIGIBLE_SOON_DAYS",
        "CARD_MAX",
    ):
        config[key] = _as_number(key, config[key], int)


def evaluation_date(config: Mapping[str, Any]) -> datetime.date:
    """The date criteria are evaluated on: AS_OF when set, else today (local date)."""
    return config["AS_OF"] or datetime.date.today()
