"""The population generator: a valid Bulk export (manifest and .ndjson.gz per type), valid FHIR R4,
deterministic, and screened without input problems. The timed benchmark stays out of the suite."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import orjson
from click.testing import CliRunner
from fhir.resources.R4B import get_fhir_model_class

from bench.population_generate import load_profile, write_population
from cds.cli import main

AS_OF = date(2026, 6, 15)


def _resources(folder: Path) -> list[dict]:
    return [orjson.loads(line) for path in sorted(folder.glob("*.ndjson.gz")) for line in gzip.decompress(path.read_bytes()).splitlines()]


def test_a_mixed_population_is_a_bulk_export_of_valid_fhir(tmp_path: Path) -> None:
    made = write_population(tmp_path / "mixed", 60, AS_OF)
    resources = _resources(made.folder)
    assert made.resources == len(resources) and made.patients == 60
    assert sum(r["resourceType"] == "Patient" for r in resources) == 60
    manifest = orjson.loads((made.folder / "manifest.json").read_bytes())
    assert {o["type"] for o in manifest["output"]} == {r["resourceType"] for r in resources}
    assert sum(o["count"] for o in manifest["output"]) == len(resources)
    profile = load_profile()
    spec = profile["resources_per_patient"]
    assert spec["min"] * 60 <= len(resources) <= (spec["max"] + 1) * 60
    seen: set[str] = set()
    for resource in resources:
        if resource["resourceType"] not in seen:  # one of each kind (and of the lupus records' kinds)
            seen.add(resource["resourceType"])
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    assert set(profile["type_shares"]) <= seen


def test_generation_is_deterministic(tmp_path: Path) -> None:
    first = _resources(write_population(tmp_path / "a", 20, AS_OF).folder)
    assert first == _resources(write_population(tmp_path / "b", 20, AS_OF).folder)


def test_an_all_lupus_population_screens_every_patient_as_a_candidate_to_confirm(tmp_path: Path) -> None:
    made = write_population(tmp_path / "lupus", 3, AS_OF, all_lupus_size=200)
    assert made.resources == 600
    # The generated lupus profile is written for NCT05247203 (bench/patient_profile.yaml).
    command = ["screen", str(made.folder), "--out", str(tmp_path / "out"), "--as-of", AS_OF.isoformat(), "--trial", "nct05247203"]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.stderr
    evaluations = [orjson.loads(line) for line in (tmp_path / "out" / "evaluations.ndjson").read_bytes().splitlines()]
    assert len(evaluations) == 3
    assert all(e["decision"] == "potentially_eligible" for e in evaluations)
