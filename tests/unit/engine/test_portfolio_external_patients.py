"""Every portfolio non-drug kind and construct over the public generated lupus and US Core
patients in ../shared/data/external/: each decides without error, and what the data
allows is checked (Synthea's lupus code is a bare 200936003, so a diagnosis-recency
criterion over SLE codes is unknown for each lupus patient; Synthea writes no UPCR, ANC,
titer or hepatitis serology, so those parts are unknown).
"""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import orjson
import pytest
from kind_trials import criterion, trial_of
from test_diagnosis_date import DIAGNOSED_WITHIN_2_YEARS
from test_infections_g15_g16 import ACTIVE_INFECTION, HOSPITALISED_28, SERIOUS_IN_28_DAYS
from test_lab_thresholds_portfolio import ANC_BELOW_1
from test_latest_class import CLASS_III_IV
from test_portfolio_compositions import E2_3, E3_1, E7, E8, E12
from test_renal_and_ratio_labs import ALL_STEPS, UPCR_24H
from test_serology_portfolio import ANA_TITER_80, ANTI_HBC, HBV_EVER

from cds.pipeline import evaluate_trial
from fhir_mappings.record import PatientRecord

FOLDERS = ("pysynthea-lupus-forced", "inferno-reference-server-uscore")
LOGIC = {
    "DX": DIAGNOSED_WITHIN_2_YEARS, "LN": CLASS_III_IV, "E3.1": E3_1, "E2.3": E2_3, "E7": E7, "E8": E8, "E12": E12,
    "UPCR": UPCR_24H, "CRCL": ALL_STEPS, "ANC": ANC_BELOW_1, "INF": ACTIVE_INFECTION, "SER": SERIOUS_IN_28_DAYS,
    "HOSP": HOSPITALISED_28, "ANA": ANA_TITER_80, "HBC": ANTI_HBC, "HBV": HBV_EVER,
}


def _patients(external: Path) -> list[tuple[str, PatientRecord]]:
    found = []
    for folder in FOLDERS:
        for path in sorted((external / folder).glob("*.json.gz")):
            with gzip.open(path, "rb") as fh:
                bundle = orjson.loads(fh.read())
            if any(e["resource"]["resourceType"] == "Patient" for e in bundle["entry"]):
                found.append((path.name, PatientRecord.from_bundle(bundle)))
    return found


@pytest.fixture(scope="module")
def results(external_data, tmp_path_factory) -> dict[str, dict[str, dict]]:
    trial = trial_of(tmp_path_factory.mktemp("kinds"), *[criterion(cid, logic) for cid, logic in LOGIC.items()])
    return {
        name: {c["id"]: c for c in evaluate_trial(record, trial, date(2026, 11, 25)).to_json()["criteria"]}
        for name, record in _patients(external_data)
    }


def test_every_patient_is_decided_on_every_kind(results) -> None:
    assert len(results) >= 20
    for name, criteria in results.items():
        assert list(criteria) == list(LOGIC), name
        for cid, entry in criteria.items():
            assert entry["status"] in ("met", "not_met", "unknown"), (name, cid)
            assert entry["reason"], (name, cid)


def test_synthea_lupus_patients_have_an_unknown_diagnosis_date(results) -> None:
    lupus = [c for name, c in results.items() if any(e["code"].endswith("|200936003") for e in c["DX"]["evidence"])]
    assert len(lupus) >= 10
    assert all(c["DX"]["status"] == "unknown" for c in lupus)


def test_labs_synthea_never_writes_are_unknown(results) -> None:
    for name, criteria in results.items():
        for cid in ("UPCR", "ANC", "ANA", "HBC"):
            assert criteria[cid]["status"] == "unknown", (name, cid)
