"""The public bundles of ../shared/data/external/, read as `trialcds evaluate` reads them."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import orjson

from fhir_mappings.record import PatientRecord, RecordError


def patient_records(folder: Path, pattern: str = "*/*.json.gz") -> Iterator[tuple[Path, PatientRecord]]:
    """Each bundle under `folder` that holds a Patient, with its record, one at a time (the
    organisation and practitioner bundles hold no Patient and are passed over)."""
    for path in sorted(folder.glob(pattern)):
        with gzip.open(path, "rb") as fh:
            bundle = orjson.loads(fh.read())
        try:
            yield path, PatientRecord.from_bundle(bundle)
        except RecordError:
            continue
