"""Load trial files once at start-up; fail fast, naming the file and the key.

A bad trial file stops the process; it never becomes an error on the tenth request.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from cds.engine.tree import LogicError, compile_logic, leaves
from cds.trials.schema import Criterion, Trial, TrialFile
from fhir_mappings.terminology import ValueSetError, valueset

TRIALS_DIR = Path(__file__).parent


class TrialDefinitionError(ValueError):
    """A trial file cannot be loaded; the message names the file and what is wrong."""


def _check_valuesets(trial: Trial, path: Path) -> None:
    for criterion in trial.criteria:
        for leaf in leaves(criterion.logic):
            names = list(getattr(leaf.params, "valuesets", []) or [])
            names += [rule.valueset for rule in getattr(leaf.params, "unknown_when", []) or []]
            for name in names:
                try:
                    valueset(name)
                except ValueSetError as exc:
                    raise TrialDefinitionError(f"{path}: criterion {criterion.id}: {exc}") from None


def load_trial(path: Path) -> Trial:
    """Read, validate and compile one trial file.

    :raise TrialDefinitionError: unreadable YAML, schema errors, bad logic, unknown value sets,
        duplicate criterion ids.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        data = TrialFile.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise TrialDefinitionError(f"{path}: cannot read: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise TrialDefinitionError(f"{path}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    ids = [c.id for c in data.criteria]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise TrialDefinitionError(f"{path}: duplicate criterion ids {duplicates}")
    try:
        criteria = tuple(
            Criterion(c.id, c.kind, c.label, c.statement, c.source, compile_logic(c.logic, f"criteria[{c.id}].logic", frozenset(data.local_analytes)))
            for c in data.criteria
        )
    except LogicError as exc:
        raise TrialDefinitionError(f"{path}: {exc}") from None
    trial = Trial(
        id=data.id,
        nct_id=data.nct_id,
        title=data.title,
        short_title=data.short_title,
        sponsor=data.sponsor,
        url=data.url,
        local_analytes={k: tuple((c.system, c.code) for c in v) for k, v in data.local_analytes.items()},
        criteria=criteria,
    )
    _check_valuesets(trial, path)
    return trial


def load_trials(folder: Path | None = None) -> dict[str, Trial]:
    """Every `*.yaml` trial file of a folder (default: the bundled trials), by trial id."""
    folder = folder or TRIALS_DIR
    trials: dict[str, Trial] = {}
    for path in sorted(folder.glob("*.yaml")):
        trial = load_trial(path)
        if trial.id in trials:
            raise TrialDefinitionError(f"{path}: trial id {trial.id!r} is used by another file")
        trials[trial.id] = trial
    if not trials:
        raise TrialDefinitionError(f"{folder}: no trial files (*.yaml)")
    return trials
