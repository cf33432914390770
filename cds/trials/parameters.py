"""What an evaluator kind's parameter names promise: the naming convention every kind follows.

A parameter named `valuesets` or `valueset` (or ending in `_valuesets` / `_valueset`) names
value sets of `fhir_mappings/valuesets/`; `groups` / `group` (or `…_groups` / `…_group`)
names drug groups of `medications.yaml`; `analytes` / `analyte` (or `…_analytes` /
`…_analyte`) names lab analytes of `labs.yaml` or of the trial's `local_analytes`. The
loader checks every such name at start-up, and the FHIR export turns each into codes, so a
new kind that names its parameters this way gets both without new code.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

Target = Literal["value set", "drug group", "analyte"]
# Parameter-name stem -> what the names it holds refer to.
STEMS: dict[str, Target] = {"valueset": "value set", "group": "drug group", "analyte": "analyte"}
# One step of a key path: a parameter name or a list index.
Key = tuple[str | int, ...]


@dataclass(frozen=True)
class Reference:
    """One name a parameter refers to, and where it is written."""

    target: Target
    name: str
    key: Key


def target_of(parameter: str) -> Target | None:
    """What a parameter's values refer to, by its name; None for any other parameter."""
    for stem, target in STEMS.items():
        for word in (stem, stem + "s"):
            if parameter == word or parameter.endswith("_" + word):
                return target
    return None


def references(value: Any, key: Key = ()) -> Iterator[Reference]:
    """Every value-set, drug-group and analyte name in a kind's parameters (nested ones
    too, such as `unknown_when[0].valueset`), with its key path."""
    if isinstance(value, dict):
        for name, item in value.items():
            target = target_of(str(name))
            if target is None:
                yield from references(item, (*key, name))
            elif isinstance(item, str):
                yield Reference(target, item, (*key, name))
            elif isinstance(item, (list, tuple)):
                for i, entry in enumerate(item):
                    if isinstance(entry, str):
                        yield Reference(target, entry, (*key, name, i))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from references(item, (*key, i))


def key_text(key: Key) -> str:
    """A key path as a trial file author reads it: `logic.any[1].condition.valuesets[0]`."""
    text = ""
    for part in key:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
