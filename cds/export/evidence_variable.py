"""A trial's criteria as one FHIR R5 EvidenceVariable: a characteristic per criterion.

Each criterion's characteristic has `linkId` = the criterion id, `description` = its
verbatim source sentence and `exclude` = true for an exclusion; its logic becomes nested
characteristics (`definitionByCombination` all-of / any-of) down to one per evaluator-kind
part (`cds.export.parts`); a NOT turns its part's `exclude` over, a part whose met only
makes the criterion unknown says so in a note. Label, statement and the trial file's
`choices` are notes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cds.engine.tree import Leaf, Node
from cds.export.fhir_terms import RESOURCE_TYPES_R5, nct_identifier, typed_value
from cds.export.parts import Part, part_of
from cds.trials.schema import Criterion, Trial

# How each combination node of a logic tree is written, keyed by the node's class name so
# the nodes of cds.engine.tree are written without importing each one: the R5
# characteristic-combination code, the words, and a note where the code says less.
COMBINATIONS: dict[str, tuple[str, str, str | None]] = {
    "AnyOf": ("any-of", "any of the following", None),
    "AllOf": ("all-of", "all of the following", None),
    "Fallback": (
        "any-of", "the first of the following that has data",
        "in order: the first part with data decides; a later part counts only when every earlier one has no data",
    ),
    "AnyWithData": (
        "any-of", "any of the following that has data",
        "a part with no input at all (no result in its window) is left out; with none, the criterion is unknown",
    ),
}


class ExportError(ValueError):
    """A trial cannot be exported as FHIR; the message names the trial and why."""


def _notes(texts: list[str]) -> list[dict[str, str]]:
    return [{"text": text} for text in texts]


def part_characteristic(part: Part) -> dict[str, Any]:
    """One evaluator-kind part as an R5 characteristic (definition, windows, duration, notes)."""
    characteristic: dict[str, Any] = {"description": part.description}
    typed = typed_value(part, RESOURCE_TYPES_R5)
    if typed is not None:
        kind, value_key, value = typed
        characteristic["definitionByTypeAndValue"] = {"type": kind, value_key: value}
    else:
        definition: dict[str, Any] = {"text": part.description}
        if part.measured.codings:
            definition["coding"] = part.measured.codings
        characteristic["definitionCodeableConcept"] = definition
    notes = list(part.notes)
    if part.windows:
        characteristic["timeFromEvent"] = [window.time_from_event() for window in part.windows]
    if part.durations:
        characteristic["durationQuantity"] = part.durations[0]
        notes += [f"also for at least {d['value']} {d['unit']}" for d in part.durations[1:]]
    if notes:
        characteristic["note"] = _notes(notes)
    return characteristic


def _negated(characteristic: dict[str, Any], node: Any) -> None:
    """Kleene NOT of a part: the part's characteristic with `exclude` turned over."""
    characteristic["exclude"] = not characteristic.get("exclude", False)


def _met_only_as_unknown(characteristic: dict[str, Any], node: Any) -> None:
    """A part whose met only makes the criterion unknown: said in a note, with the reason."""
    reason = f"when met, only makes the criterion unknown (confirm at screening): {node.reason}"
    characteristic["note"] = [*characteristic.get("note", []), {"text": reason}]


def _surely(characteristic: dict[str, Any], node: Any) -> None:
    """A part that counts only when surely met: said in a note (FHIR has no third value)."""
    text = "counts only when surely met: when the data leave it open, it counts as not met"
    characteristic["note"] = [*characteristic.get("note", []), {"text": text}]


def _noted(characteristic: dict[str, Any], node: Any) -> None:
    """A part whose reason carries a note when it is not met: the note, as written."""
    characteristic["note"] = [*characteristic.get("note", []), {"text": f"when not met, the reason adds: {node.text}"}]


# Nodes over one part (`node.part`), by class name: how each changes its part's characteristic.
WRAPPERS: dict[str, Callable[[dict[str, Any], Any], None]] = {
    "NotOf": _negated, "UnknownIf": _met_only_as_unknown, "Surely": _surely, "Note": _noted,
}


def node_characteristic(node: Node, trial: Trial) -> dict[str, Any]:
    """A logic tree as nested characteristics.

    :raise ExportError: a node this export does not know how to write.
    """
    if isinstance(node, Leaf):
        return part_characteristic(part_of(node, trial))
    name = type(node).__name__
    if name in WRAPPERS:
        characteristic = node_characteristic(node.part, trial)  # type: ignore[union-attr]
        WRAPPERS[name](characteristic, node)
        return characteristic
    if name not in COMBINATIONS:
        raise ExportError(f"{trial.id}: the FHIR export does not know the logic node {name}")
    code, words, note = COMBINATIONS[name]
    characteristic: dict[str, Any] = {
        "description": words,
        "definitionByCombination": {"code": code, "characteristic": [node_characteristic(p, trial) for p in node.parts]},
    }
    if note:
        characteristic["note"] = _notes([note])
    return characteristic


def criterion_characteristic(criterion: Criterion, trial: Trial) -> dict[str, Any]:
    """One criterion: its id, its source sentence, inclusion or exclusion, and its logic."""
    logic = node_characteristic(criterion.logic, trial)
    notes = [f"{criterion.id}: {criterion.label}", f"statement: {criterion.statement}"]
    notes += [f"choice: {choice}" for choice in criterion.choices]
    notes += [note["text"] for note in logic.pop("note", [])]
    logic.pop("description")
    negated = logic.pop("exclude", False)  # a criterion whose logic is a NOT
    return {
        "linkId": criterion.id,
        "description": criterion.source,
        "exclude": (criterion.kind == "exclusion") != negated,
        **logic,
        "note": _notes(notes),
    }


def evidence_variable(trial: Trial) -> dict[str, Any]:
    """The trial's eligibility criteria as an R5 EvidenceVariable (not yet validated)."""
    return {
        "resourceType": "EvidenceVariable",
        "id": trial.id,
        "identifier": [nct_identifier(trial)],
        "title": f"Eligibility criteria of {trial.nct_id} ({trial.short_title})",
        "status": "active",
        "description": (
            f"Who may join {trial.nct_id}, {trial.title}: every inclusion characteristic met and no exclusion "
            "characteristic (exclude: true) met. One characteristic per criterion (linkId = the criterion id, "
            "description = its source sentence); what FHIR elements cannot hold is stated in notes."
        ),
        "handling": "boolean",
        "relatedArtifact": [
            {"type": "documentation", "label": "ClinicalTrials.gov", "document": {"url": trial.url, "title": trial.title}}
        ],
        "characteristic": [criterion_characteristic(c, trial) for c in trial.criteria],
    }
