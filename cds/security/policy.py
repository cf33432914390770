"""Load the client-authentication defaults from policy.yaml, where each value names its source."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from fhir_mappings.yaml_data import load_yaml


@dataclass(frozen=True)
class SecurityPolicy:
    """Defaults that govern CDS client JWT verification; see policy.yaml for their sources."""

    default_algorithms: tuple[str, ...]
    permitted_algorithms: frozenset[str]
    clock_leeway_seconds: int
    jwks_cache_seconds: int
    jwks_min_refetch_seconds: int
    jwks_fetch_timeout_seconds: float
    jwks_max_bytes: int
    replay_purge_interval_seconds: int
    replay_db_filename: str
    replay_db_busy_timeout_seconds: float
    log_claim_max_chars: int


def load_policy() -> SecurityPolicy:
    """Read policy.yaml from the package so that no threshold is written in code."""
    text = resources.files(__package__).joinpath("policy.yaml").read_text(encoding="utf-8")
    values = {name: entry["value"] for name, entry in load_yaml(text).items()}
    return SecurityPolicy(
        default_algorithms=tuple(values["default_algorithms"]),
        permitted_algorithms=frozenset(values["permitted_algorithms"]),
        clock_leeway_seconds=values["clock_leeway_seconds"],
        jwks_cache_seconds=values["jwks_cache_seconds"],
        jwks_min_refetch_seconds=values["jwks_min_refetch_seconds"],
        jwks_fetch_timeout_seconds=values["jwks_fetch_timeout_seconds"],
        jwks_max_bytes=values["jwks_max_bytes"],
        replay_purge_interval_seconds=values["replay_purge_interval_seconds"],
        replay_db_filename=values["replay_db_filename"],
        replay_db_busy_timeout_seconds=values["replay_db_busy_timeout_seconds"],
        log_claim_max_chars=values["log_claim_max_chars"],
    )
