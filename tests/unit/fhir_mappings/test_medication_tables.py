"""The medication tables (timing.yaml, dose_units.yaml, medication_statuses.yaml): sourced
headers, and the values the ground rules state (revision of 2026-12)."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

from fhir_mappings.medication_periods import status_rules
from fhir_mappings.medications import MEDICATION_RECORD_TYPES
from fhir_mappings.timing import timing_table

VALUESET_DIR = Path(__file__).resolve().parents[3] / "fhir_mappings" / "valuesets"
TABLES = ("timing.yaml", "dose_units.yaml", "medication_statuses.yaml")
SOURCE_IDS = re.compile(r"[A-Za-z0-9]+")


def _load(name: str) -> dict[str, Any]:
    return yaml.safe_load((VALUESET_DIR / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", TABLES)
def test_each_table_has_a_header_and_every_part_cites_declared_sources(name: str) -> None:
    data = _load(name)
    assert data["description"].strip() and data["date"] and data["sources"]
    parts = data.get("record_types", data)
    for key, body in parts.items():
        if key in ("description", "date", "sources"):
            continue
        cited = set(SOURCE_IDS.findall(body["source"]))
        assert cited and cited <= set(data["sources"]), f"{name} {key}: {body['source']}"


def test_gts_abbreviations_are_the_ground_rules_values() -> None:
    """criteria-nct05247203.md: QD/AM/PM/BED 1, BID 2, TID 3, QID 4, Q4H 6, Q6H 4, Q8H 3,
    Q12H 2, QOD ½, Q1W ⅐."""
    stated = {"QD": 1, "AM": 1, "PM": 1, "BED": 1, "BID": 2, "TID": 3, "QID": 4, "Q4H": 6, "Q6H": 4, "Q8H": 3,
              "Q12H": 2, "QOD": Fraction(1, 2), "Q1W": Fraction(1, 7)}
    assert timing_table().per_day == stated


def test_units_of_time_in_days() -> None:
    days = timing_table().period_days
    assert days["h"] * 8 == Fraction(1, 3) and days["wk"] == 7 and days["d"] == 1


def test_statuses_cover_every_medication_record_type() -> None:
    rules = status_rules()
    assert set(rules) == set(MEDICATION_RECORD_TYPES)
    assert rules["MedicationStatement"].ignored >= {"entered-in-error", "not-taken", "intended"}
    assert rules["MedicationRequest"].ignored >= {"draft", "cancelled", "entered-in-error"}
    assert rules["MedicationDispense"].counted == {"completed"}
    assert {"active", "on-hold"} <= rules["MedicationStatement"].open_ended
    assert "unknown" not in rules["MedicationStatement"].open_ended
