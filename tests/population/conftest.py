"""Fixtures of the population-screening tests: Bulk exports laid out from Bundles, and a runner."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

SUPPORT_DIRS = (Path(__file__).resolve().parents[1] / "support", Path(__file__).resolve().parent)
for folder in SUPPORT_DIRS:
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from bulk_export import stored_lines, write_export


@pytest.fixture(scope="session")
def external_bundles(external_data: Path) -> list[Path]:
    """Every Bundle of ../shared/data/external, in a fixed order."""
    found = sorted(external_data.glob("*/*.json.gz"))
    assert found, f"no bundles under {external_data}"
    return found


@pytest.fixture(scope="session")
def external_lines(external_bundles: list[Path]) -> list[tuple[str, bytes]]:
    """Every resource of ../shared/data/external as a FHIR server that stored the Bundles exports it."""
    return stored_lines(external_bundles)


@pytest.fixture(scope="session")
def external_export(external_lines: list[tuple[str, bytes]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """../shared/data/external laid out as a Bulk export with a manifest (types split in files of 10,000)."""
    folder = tmp_path_factory.mktemp("external-export")
    write_export(external_lines, folder, per_file=10_000)
    return folder
