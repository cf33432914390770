"""The `any_with_data` construct: OR of the parts that have data, for one finding measured by
several tests ("24-h urine protein > 6 g, or a UPCR > 6 g/g; no recent result makes the part
unknown"), and how the FHIR export writes it.

Results are builder-made laboratory Observations (fhir_builders.observation: UCUM
valueQuantity, a dateTime with an offset, as US Core's Observation Lab example writes one).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from fhir.resources.evidencevariable import EvidenceVariable
from fhir_builders import condition, days_before, observation
from kind_trials import KindProbe

from cds.engine.tree import AnyWithData, Leaf
from cds.export.evidence_variable import evidence_variable
from cds.trials.loader import load_trials

PROTEIN = {"lab_threshold": {"analyte": "urine_protein_24h_rate", "label": "24-h urine protein", "comparator": ">", "value": 6,
                             "unit": "g/(24.h)", "lookback_days": 90}}
UPCR = {"ratio_threshold": {"analytes": ["upcr_24h", "upcr_spot"], "label": "UPCR", "comparator": ">", "value": 6, "unit": "g/g",
                            "lookback_days": 90}}
PROTEINURIA = {"any_with_data": [PROTEIN, UPCR]}


def protein(grams: float, days: int = 10) -> dict:
    return observation("2889-4", grams, "g/(24.h)", on=days_before(days))


def spot_ratio(value: float, unit: str = "g/g", days: int = 10) -> dict:
    return observation("2890-2", value, unit, on=days_before(days))


@pytest.mark.parametrize(
    ("resources", "status"),
    [
        ([protein(7)], "met"),
        ([spot_ratio(6.5)], "met"),
        ([protein(0.3), spot_ratio(6.5)], "met"),  # either measure above decides
        ([protein(0.3)], "not_met"),  # the ratio was not measured: it does not hold the part open
        ([spot_ratio(300, "mg/g")], "not_met"),
        ([protein(0.3), spot_ratio(0.2)], "not_met"),
        ([], "unknown"),  # neither measure: unknown, as an open-world lab is
        ([protein(7, days=120)], "unknown"),  # outside the 90 days: no recent result
        ([protein(0.3), spot_ratio(2, "1")], "unknown"),  # a ratio without unit is data that cannot decide
    ],
)
def test_the_measure_taken_decides(tmp_path, resources, status) -> None:
    assert KindProbe(tmp_path, PROTEINURIA)(*resources)["status"] == status


def test_plain_any_would_hold_the_part_open_on_the_missing_measure(tmp_path) -> None:
    """The difference from Kleene OR: with `any`, the 24-h protein alone leaves the part unknown."""
    assert KindProbe(tmp_path, {"any": [PROTEIN, UPCR]})(protein(0.3))["status"] == "unknown"


def test_without_any_data_the_reason_names_every_missing_measure(tmp_path) -> None:
    entry = KindProbe(tmp_path, PROTEINURIA)()
    assert "no 24-h urine protein result in the last 90 days" in entry["reason"]
    assert "no UPCR result in the last 90 days" in entry["reason"]


def test_a_part_with_no_data_beside_an_undecided_one_is_unknown(tmp_path) -> None:
    """A fallback over it turns to the next part only when no measure has data."""
    ckd_code = {"condition": {"valuesets": ["ckd_severe"], "label": "CKD stage 4-5", "status": "active"}}
    probe = KindProbe(tmp_path, {"fallback": [PROTEINURIA, ckd_code]})
    ckd4 = condition("snomed", "431857002", onset="2024-05-01")
    assert probe(ckd4)["status"] == "met"  # no proteinuria data at all: the next part decides
    assert probe(ckd4, protein(0.3))["status"] == "not_met"  # a measure was taken: it decides


def test_the_export_writes_any_of_and_says_a_part_without_data_is_left_out() -> None:
    shipped = load_trials()["nct05247203"]
    leaf = next(c for c in shipped.criteria if c.id == "E3.4").logic
    assert isinstance(leaf, Leaf)
    criterion = replace(shipped.criteria[0], id="X1", kind="exclusion", logic=AnyWithData((leaf, leaf)))
    resource = evidence_variable(replace(shipped, criteria=(criterion,)))
    EvidenceVariable.model_validate(resource)
    (characteristic,) = resource["characteristic"]
    assert characteristic["definitionByCombination"]["code"] == "any-of"
    notes = [n["text"] for n in characteristic["note"]]
    assert "a part with no input at all (no result in its window) is left out; with none, the criterion is unknown" in notes
