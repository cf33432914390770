"""BLISS-76 (NCT00410384) on the generated lupus patients of ../shared/data/external/
(pysynthea-lupus-forced: Synthea's lupus module, female incidence forced): what the data
allows is checked. Synthea codes lupus as the bare 200936003 (I1 unknown), writes no SLEDAI,
ANA, hepatitis or HIV result (I2, I3, E9 unknown), and trial participation is never in data
(E3 unknown); a creatinine above 2.5 mg/dL makes E5 met with no washout date.
"""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import orjson
import pytest
from nct00410384_records import bliss76

from cds.pipeline import evaluate_trial
from fhir_mappings.record import PatientRecord

AS_OF = date(2026, 11, 25)


@pytest.fixture(scope="module")
def lupus_results(external_data: Path) -> dict[str, dict[str, dict]]:
    found = {}
    for path in sorted((external_data / "pysynthea-lupus-forced").glob("*.json.gz")):
        with gzip.open(path, "rb") as fh:
            record = PatientRecord.from_bundle(orjson.loads(fh.read()))
        result = evaluate_trial(record, bliss76(), AS_OF).to_json()
        found[path.name] = {"decision": result["decision"], **{c["id"]: c for c in result["criteria"]}}
    return found


def test_synthea_lupus_is_a_bare_lupus_code_so_i1_is_unknown(lupus_results) -> None:
    lupus = [r for r in lupus_results.values() if any(e["code"].endswith("|200936003") for e in r["I1"]["evidence"])]
    assert len(lupus) >= 10
    assert all(r["I1"]["status"] == "unknown" for r in lupus)


def test_what_synthea_never_writes_stays_unknown(lupus_results) -> None:
    for name, result in lupus_results.items():
        for cid in ("I2", "I3", "E3", "E9"):
            assert result[cid]["status"] == "unknown", (name, cid)


def test_a_creatinine_above_2_5_is_severe_kidney_disease_with_no_washout(lupus_results) -> None:
    by_creatinine = [r["E5"] for r in lupus_results.values() if r["E5"]["status"] == "met"]
    assert by_creatinine
    for entry in by_creatinine:
        assert "serum creatinine" in entry["reason"] and entry["clears_on"] is None
