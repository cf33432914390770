"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("TRIALCDS_SHARED", REPO_ROOT.parent / "shared"))
EXTERNAL_DATA = SHARED_DIR / "data" / "external"


@pytest.fixture(scope="session")
def external_data() -> Path:
    """The public FHIR data kept beside the repository in ../shared (not copied in)."""
    if not EXTERNAL_DATA.is_dir():
        pytest.fail(f"shared test data not found at {EXTERNAL_DATA}; set TRIALCDS_SHARED")
    return EXTERNAL_DATA
