"""Fixtures shared by every test package."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("TRIALCDS_SHARED", REPO_ROOT.parent / "shared"))
EXTERNAL_DATA = SHARED_DIR / "data" / "external"


@pytest.fixture(scope="session")
def external_data() -> Path:
    """The public FHIR data kept beside the repository in ../shared (not copied in)."""
    if not EXTERNAL_DATA.is_dir():
        pytest.fail(f"shared test data not found at {EXTERNAL_DATA}; set TRIALCDS_SHARED")
    return EXTERNAL_DATA


@pytest.fixture(scope="session")
def terminology_data() -> Path:
    """The public value-set consolidation the drug tables are built from (../shared, not copied in)."""
    folder = SHARED_DIR / "data" / "terminology"
    if not (folder / "rxnorm_drug_codes.csv").is_file():
        pytest.fail(f"shared terminology data not found at {folder}; set TRIALCDS_SHARED")
    return folder


# Set by .ci/run, which starts a throwaway PostgreSQL cluster (.ci/postgres.sh).
POSTGRES_URL_VARIABLE = "TRIALCDS_TEST_POSTGRES_URL"


def _postgres_url() -> str:
    """The CI PostgreSQL; in CI its absence fails the test, elsewhere it skips it."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"{POSTGRES_URL_VARIABLE} is not set: the shared-store tests need PostgreSQL (.ci/run starts one)")
    pytest.skip(f"no PostgreSQL for the shared-store tests: set {POSTGRES_URL_VARIABLE} (.ci/run does)")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database for a shared store (JWT replay, feedback) as a SQLAlchemy URL: a SQLite
    file, or a schema of its own on the CI PostgreSQL, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
        return
    url = _postgres_url()
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
