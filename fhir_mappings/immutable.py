"""`@immutable`: a value class that type checkers treat as frozen and that is cheap to build.

A `@dataclass(frozen=True)` sets each field in its `__init__` through
`object.__setattr__`, about three times the cost of a plain assignment. The records
built per resource and per criterion (codings, lab results, exposures, events,
outcomes, evidence: about a thousand per hook call on a 1,000-resource patient) spent
11 % of a hook call's instructions there (docs/performance.md). These classes are built
once and never assigned to: `dataclass_transform(frozen_default=True)` makes a type
checker reject an assignment, and they stay comparable and hashable by value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def immutable(cls: type[T]) -> type[T]:
    """A dataclass compared and hashed by its fields, never changed after it is built."""
    return dataclass(cls, unsafe_hash=True)
