"""Fixtures of the population-screening tests: Bulk exports laid out from Bundles, and a runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from patients import (
    HYDROXYCHLOROQUINE,
    lupus_patient,
    medication_resource,
    of_patient,
    request_by_reference,
)

from bench.bulk_export import resource_lines, stored_lines, write_export


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


@pytest.fixture(scope="session")
def small_export(external_bundles: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small export for the Spark tests: the 20 generated lupus patients, the two US Core
    patients and six SMART Synthea patients, with what real exports also hold: Medications
    named by reference (one missing), resources of a patient not in the export, a broken line.

    31 patients in all: 20 + 2 + 6 Bundles, `p-med`, `p-gone-med`, and `p-broken`, not evaluated."""
    smart = [p for p in external_bundles if "smart-generated" in str(p) and "Information" not in p.name][:6]
    chosen = [p for p in external_bundles if "smart-generated" not in str(p)] + smart
    extra = lupus_patient("p-med")
    extra = [r for r in extra if r["id"] != "p-med-mr-hcq"] + [request_by_reference("p-med", "Medication/hcq")]
    extra += [medication_resource("hcq", *HYDROXYCHLOROQUINE), request_by_reference("p-gone-med", "Medication/gone")]
    extra += lupus_patient("p-gone-med")[:2] + lupus_patient("p-broken")
    extra += [of_patient(r, "ghost") for r in lupus_patient("x")[1:3]]
    folder = tmp_path_factory.mktemp("small-export")
    written = write_export(stored_lines(chosen) + resource_lines(extra), folder, per_file=4_000, gzip_every_other=False)
    conditions = next(p for p in written if p.name.startswith("Condition."))
    with open(conditions, "ab") as fh:
        fh.write(b'{"resourceType":"Condition","id":"cut","subject":{"reference":"Patient/p-broken"},"code":{"cod\n')
    return folder
