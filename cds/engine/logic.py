"""Three-valued (Kleene) logic: the only way criterion parts combine."""

from __future__ import annotations

import enum
from collections.abc import Iterable


class Tri(enum.Enum):
    """A criterion statement is true (met), false (not_met) or unknown."""

    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


def tri_any(values: Iterable[Tri]) -> Tri:
    """Kleene OR: met if any is met, not_met if all are not_met, else unknown."""
    values = list(values)
    if Tri.MET in values:
        return Tri.MET
    if values and all(v is Tri.NOT_MET for v in values):
        return Tri.NOT_MET
    return Tri.UNKNOWN if values else Tri.NOT_MET


def tri_all(values: Iterable[Tri]) -> Tri:
    """Kleene AND: not_met if any is not_met, met if all are met, else unknown."""
    values = list(values)
    if Tri.NOT_MET in values:
        return Tri.NOT_MET
    if all(v is Tri.MET for v in values):
        return Tri.MET
    return Tri.UNKNOWN
