"""Logic nodes beyond any/all in the R5 export: NOT, "met only as unknown", fallback
(cds.engine.tree NotOf, UnknownIf, Fallback), written by class name."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest
from fhir.resources.evidencevariable import EvidenceVariable

from cds.engine.tree import AllOf, Fallback, Leaf, NotOf, UnknownIf
from cds.export.evidence_variable import ExportError, evidence_variable
from cds.trials.loader import load_trials
from cds.trials.schema import Trial


@pytest.fixture(scope="module")
def shipped() -> Trial:
    return load_trials()["nct05247203"]


def _leaf(trial: Trial, cid: str) -> Leaf:
    logic = next(c for c in trial.criteria if c.id == cid).logic
    assert isinstance(logic, Leaf)
    return logic


def _exported(trial: Trial, kind: str, logic: Any) -> dict[str, Any]:
    """The characteristic of a trial whose only criterion has this logic (validated as R5)."""
    criterion = replace(trial.criteria[0], id="X1", kind=kind, logic=logic)
    resource = evidence_variable(replace(trial, criteria=(criterion,)))
    EvidenceVariable.model_validate(resource)
    (characteristic,) = resource["characteristic"]
    return characteristic


def test_an_inclusion_that_is_a_not_excludes_its_part(shipped: Trial) -> None:
    depression = _leaf(shipped, "E15")
    characteristic = _exported(shipped, "inclusion", NotOf(depression))
    assert characteristic["exclude"] is True
    assert characteristic["definitionByTypeAndValue"]["valueCodeableConcept"]["text"] == "depression or suicidal ideation"


def test_an_exclusion_finding_and_not_exception_marks_the_exception_excluded(shipped: Trial) -> None:
    finding, exception = _leaf(shipped, "E3.4"), _leaf(shipped, "I1")
    characteristic = _exported(shipped, "exclusion", AllOf((finding, NotOf(exception))))
    assert characteristic["exclude"] is True
    first, second = characteristic["definitionByCombination"]["characteristic"]
    assert "exclude" not in first
    assert second["exclude"] is True and second["definitionCodeableConcept"] == {"text": "informed consent signed"}


def test_a_part_met_only_as_unknown_says_so_with_its_reason(shipped: Trial) -> None:
    characteristic = _exported(shipped, "exclusion", UnknownIf(_leaf(shipped, "E3.4"), reason="confirm whether related to SLE"))
    notes = [n["text"] for n in characteristic["note"]]
    assert notes[-1] == "when met, only makes the criterion unknown (confirm at screening): confirm whether related to SLE"
    assert characteristic["definitionByTypeAndValue"]["valueQuantity"]["value"] == 85


def test_a_fallback_is_any_of_with_its_order_stated(shipped: Trial) -> None:
    characteristic = _exported(shipped, "exclusion", Fallback((_leaf(shipped, "E3.4"), _leaf(shipped, "E15"))))
    assert characteristic["definitionByCombination"]["code"] == "any-of"
    assert len(characteristic["definitionByCombination"]["characteristic"]) == 2
    assert ("in order: the first part with data decides; a later part counts only when every earlier one has no data"
            in [n["text"] for n in characteristic["note"]])


def test_a_node_the_export_does_not_know_stops_it_naming_the_node(shipped: Trial) -> None:
    @dataclass(frozen=True)
    class AtLeast:
        parts: tuple[Any, ...]

    with pytest.raises(ExportError, match="^nct05247203: the FHIR export does not know the logic node AtLeast$"):
        _exported(shipped, "exclusion", AtLeast((_leaf(shipped, "E3.4"),)))
