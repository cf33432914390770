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


@pytest.fixture(scope="session")
def terminology_data() -> Path:
    """The public value-set consolidation the drug tables are built from (../shared, not copied in)."""
    folder = SHARED_DIR / "data" / "terminology"
    if not (folder / "rxnorm_drug_codes.csv").is_file():
        pytest.fail(f"shared terminology data not found at {folder}; set TRIALCDS_SHARED")
    return folder
