"""Load trial files once at start-up; fail fast, naming the file, the criterion and the key.

A bad trial file stops the process; it never becomes an error on the tenth request. Every
message has one form, whatever the kind of the part that is wrong:

    <file>: criterion <id>: <key path>: <problem>

(`<file>: <key path>: <problem>` for the trial's own fields). The key path comes from the
pydantic error location, so a kind's own validators report the same way; the names that
parameters refer to (value sets, drug groups, analytes) are checked by the parameters'
naming convention (`cds.trials.parameters`), so a new kind needs no check of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cds.engine.kinds import KINDS
from cds.engine.tree import LogicError, compile_logic, validation_message
from cds.trials.parameters import Key, Reference, Target, key_text, references
from cds.trials.schema import Criterion, CriterionFile, Trial, TrialFile
from fhir_mappings.drugs import drug_catalog
from fhir_mappings.labs import analytes
from fhir_mappings.terminology import coded_valuesets
from fhir_mappings.yaml_data import load_yaml

TRIALS_DIR = Path(__file__).parent
LOGIC = "logic"


class TrialDefinitionError(ValueError):
    """A trial file cannot be loaded; the message names the file, the criterion and the key."""


def _criterion_name(raw: Any, index: int) -> str:
    """How a message names the criterion at `index`: by its id when the file gives one."""
    entries = raw.get("criteria") if isinstance(raw, dict) else None
    entry = entries[index] if isinstance(entries, list) and index < len(entries) else None
    cid = entry.get("id") if isinstance(entry, dict) else None
    return f"criterion {cid}" if isinstance(cid, (str, int)) else f"criteria[{index}]"


def _schema_problem(raw: Any, loc: tuple[str | int, ...], message: str) -> tuple[str, str]:
    """(who: the file or a criterion, `key: problem`) for one pydantic error of the trial file."""
    if len(loc) >= 2 and loc[0] == "criteria" and isinstance(loc[1], int):
        return f"{_criterion_name(raw, loc[1])}: ", f"{key_text(loc[2:]) or 'entry'}: {message}"
    return "", f"{key_text(loc) or 'file'}: {message}"


def _validated(raw: Any, path: Path) -> TrialFile:
    """The trial file as typed objects; every schema problem in one message, grouped by criterion."""
    try:
        return TrialFile.model_validate(raw)
    except ValidationError as exc:
        grouped: dict[str, list[str]] = {}
        for error in exc.errors():
            who, problem = _schema_problem(raw, error["loc"], validation_message(error["msg"]))
            grouped.setdefault(who, []).append(problem)
        problems = "; ".join(who + "; ".join(items) for who, items in grouped.items())
        raise TrialDefinitionError(f"{path}: {problems}") from None


def _check_unique_ids(data: TrialFile, path: Path) -> None:
    seen: set[str] = set()
    for criterion in data.criteria:
        if criterion.id in seen:
            raise TrialDefinitionError(f"{path}: criterion {criterion.id}: id: used by more than one criterion")
        seen.add(criterion.id)


def _compiled(criterion: CriterionFile, path: Path) -> Criterion:
    try:
        logic = compile_logic(criterion.logic, LOGIC)
    except LogicError as exc:
        raise TrialDefinitionError(f"{path}: criterion {criterion.id}: {exc}") from None
    return Criterion(
        criterion.id, criterion.kind, criterion.label, criterion.statement, criterion.source, logic,
        tuple(criterion.choices),
    )


def _leaves(block: Any, key: Key) -> Iterator[tuple[Key, str, dict[str, Any]]]:
    """Each evaluator-kind part of a logic block as written: (key path, kind, parameters).

    Any combinator's body is searched, so a new one (not, at least n of …) needs nothing here.
    """
    if isinstance(block, dict):
        if len(block) == 1:
            ((name, body),) = block.items()
            if name in KINDS:
                yield (*key, name), name, body or {}
                return
        for name, body in block.items():
            yield from _leaves(body, (*key, name))
    elif isinstance(block, list):
        for i, part in enumerate(block):
            yield from _leaves(part, (*key, i))


def _written_at(params: dict[str, Any], name: str, key: Key) -> Key:
    """Where a parameter holding `name` is written (for names a kind reads under other
    parameter names, such as a clearance's `serum_creatinine`); else the part itself."""
    for parameter, value in params.items():
        if value == name or (isinstance(value, list) and name in value):
            return (*key, parameter)
    return key


def _part_references(kind: str, params: dict[str, Any], key: Key) -> list[Reference]:
    """The names a part refers to: by the naming convention, and every analyte the kind reads."""
    found = list(references(params, key))
    named = {ref.name for ref in found if ref.target == "analyte"}
    read = KINDS[kind].params.model_validate(params).analytes_read()
    found += [Reference("analyte", name, _written_at(params, name, key)) for name in sorted(read - named)]
    return found


def _known(data: TrialFile) -> Mapping[Target, Callable[[str], bool]]:
    return {
        "value set": coded_valuesets().__contains__,
        "drug group": drug_catalog().group_names.__contains__,
        "analyte": lambda name: name in analytes() or name in data.local_analytes,
    }


def _check_references(data: TrialFile, path: Path) -> None:
    known = _known(data)
    for criterion in data.criteria:
        for key, kind, params in _leaves(criterion.logic, (LOGIC,)):
            for ref in _part_references(kind, params, key):
                if not known[ref.target](ref.name):
                    raise TrialDefinitionError(
                        f"{path}: criterion {criterion.id}: {key_text(ref.key)}: unknown {ref.target} {ref.name!r}"
                    )


CARD_REQUIRES = "card_requires"


def _check_card_requires(trial: Trial, path: Path) -> None:
    """Every criterion `card_requires` names is an inclusion of this file the record can meet.

    A met exclusion never shows a card, and a manual check is never met from the record:
    either would withhold every card of the trial without a word.
    """
    if trial.card_requires is None:
        return
    by_id = {criterion.id: criterion for criterion in trial.criteria}
    for list_name in ("any_met", "all_met"):
        for index, cid in enumerate(getattr(trial.card_requires, list_name)):
            where = f"{path}: criterion {cid}: {key_text((CARD_REQUIRES, list_name, index))}"
            criterion = by_id.get(cid)
            if criterion is None:
                raise TrialDefinitionError(f"{where}: no criterion of this file has this id")
            if criterion.kind != "inclusion":
                raise TrialDefinitionError(f"{where}: an exclusion; a card needs met inclusions (a met exclusion shows no card)")
            if criterion.manual:
                raise TrialDefinitionError(f"{where}: a manual check, never met from the record; no card would ever show")


def load_trial(path: Path) -> Trial:
    """Read, validate and compile one trial file.

    :raise TrialDefinitionError: unreadable YAML, schema errors, bad logic, unknown value sets,
        drug groups or analytes, duplicate criterion ids, a `card_requires` naming no
        inclusion the record can meet.
    """
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TrialDefinitionError(f"{path}: cannot read: {exc}") from None
    data = _validated(raw, path)
    _check_unique_ids(data, path)
    trial = Trial(
        id=data.id,
        nct_id=data.nct_id,
        title=data.title,
        short_title=data.short_title,
        sponsor=data.sponsor,
        url=data.url,
        # An analyte declared with no local code reads like none at all (the standard codes
        # only), so only those with codes are kept: trials that differ only in such empty
        # declarations then share one extraction of the record's facts (cds.pipeline).
        local_analytes={k: tuple((c.system, c.code) for c in v) for k, v in data.local_analytes.items() if v},
        criteria=tuple(_compiled(c, path) for c in data.criteria),
        eligibility_text=data.eligibility_text,
        study=data.study,
        card_requires=data.card_requires,
        study_team=data.study_team,
    )
    _check_references(data, path)
    _check_card_requires(trial, path)
    return trial


def load_trials(folder: Path | None = None) -> dict[str, Trial]:
    """Every `*.yaml` trial file of a folder (default: the bundled trials), by trial id."""
    folder = folder or TRIALS_DIR
    trials: dict[str, Trial] = {}
    for path in sorted(folder.glob("*.yaml")):
        trial = load_trial(path)
        if trial.id in trials:
            raise TrialDefinitionError(f"{path}: id: trial id {trial.id!r} is used by another file")
        trials[trial.id] = trial
    if not trials:
        raise TrialDefinitionError(f"{folder}: no trial files (*.yaml)")
    return trials
