"""One patient's lines -> the evaluation JSON of every trial: the function both engines map.

A group is every line routed to one `Patient/id`, in export order. It becomes a
`PatientRecord` (with the shared resources its records name, such as Medications) and goes
through `cds.pipeline.evaluate_trials`, so each line of `evaluations.ndjson` is exactly what
`trialcds evaluate --format json --trial ID` prints for that patient.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson

from cds.pipeline import evaluate_trials
from cds.population.compartment import Compartment
from cds.trials.schema import Trial
from fhir_mappings.record import PatientRecord, RecordError

# (file index, line number, raw line): a resource as read, or b"!" + a problem found on read.
Item = tuple[int, int, bytes]
# The stored line of a shared resource, by key (`Medication/id`), or None.
SharedLookup = Callable[[str], Item | None]
PROBLEM_MARK = b"!"


@dataclass(frozen=True)
class GroupContext:
    """What every group is evaluated with."""

    trials: tuple[Trial, ...]
    as_of: date
    file_names: tuple[str, ...]
    compartment: Compartment


@dataclass
class GroupOutcome:
    """What one group gave: evaluation lines, or why the patient was not evaluated, or that the
    patient is not in the export; and the shared resources named but not found."""

    evaluations: list[bytes] = field(default_factory=list)
    not_evaluated: dict[str, Any] | None = None
    orphan: dict[str, Any] | None = None
    unresolved: list[str] = field(default_factory=list)


def evaluate_group(key: str, items: list[Item], shared: SharedLookup, ctx: GroupContext) -> GroupOutcome:
    """Evaluate one patient's group against every trial of the context.

    A group without its Patient resource is reported (its resources' patient is not in the
    export). A patient with a line that could not be read, or whose evaluation fails, is
    reported as not evaluated with the reason, never left out.
    """
    items.sort(key=lambda item: (item[0], item[1]))
    resources: list[dict[str, Any]] = []
    problems: list[str] = []
    for file_index, line_number, raw in items:
        where = f"{ctx.file_names[file_index]} line {line_number}"
        if raw.startswith(PROBLEM_MARK):
            problems.append(f"{where}: {raw[1:].decode('utf-8', 'replace')}")
            continue
        try:
            resources.append(orjson.loads(raw))
        except orjson.JSONDecodeError as exc:
            problems.append(f"{where}: not valid JSON ({exc})")
    if not any(r.get("resourceType") == "Patient" for r in resources):
        counts = Counter(str(r.get("resourceType")) for r in resources)
        return GroupOutcome(orphan={"patient": key, "resources": dict(sorted(counts.items())), "unreadable_lines": len(problems)})
    if problems:
        return GroupOutcome(not_evaluated={"patient": key, "reason": "; ".join(problems)})
    outcome = GroupOutcome()
    entries = [(None, r) for r in resources] + _shared_entries(resources, shared, ctx, outcome.unresolved)
    try:
        record = PatientRecord.from_entries(entries)
        results = evaluate_trials(record, ctx.trials, ctx.as_of)
        outcome.evaluations = [orjson.dumps(result.to_json()) for result in results]
    except RecordError as exc:
        outcome.not_evaluated = {"patient": key, "reason": str(exc)}
    except Exception as exc:  # noqa: BLE001 - one patient's failure is reported; the run goes on
        outcome.not_evaluated = {"patient": key, "reason": f"the evaluation failed ({type(exc).__name__}: {exc})"}
    return outcome


def _shared_entries(
    resources: Sequence[dict[str, Any]], shared: SharedLookup, ctx: GroupContext, unresolved: list[str]
) -> list[tuple[str | None, dict[str, Any]]]:
    """The shared resources the patient's resources name, followed `max_reference_depth` deep.

    Each comes with `urn:uuid:<id>` as its fullUrl, so a reference written in that form
    resolves as it does in a Bundle.
    """
    found: list[tuple[str | None, dict[str, Any]]] = []
    seen: set[str] = set()
    referring = ctx.compartment.referring_types
    frontier: Sequence[dict[str, Any]] = [r for r in resources if r.get("resourceType") in referring]
    for _ in range(ctx.compartment.max_reference_depth):
        named = [key for resource in frontier for key, _ in ctx.compartment.shared_references(resource)]
        next_frontier = []
        for key in named:
            if key in seen:
                continue
            seen.add(key)
            item = shared(key)
            if item is None:
                unresolved.append(key)
                continue
            resource = orjson.loads(item[2])
            found.append((f"urn:uuid:{key.split('/', 1)[1]}", resource))
            next_frontier.append(resource)
        if not next_frontier:
            break
        frontier = next_frontier
    return found
