"""The registry of evaluator kinds: name -> parameter model, function, resource types read,
and whether a patient has any input for a part (`has_input`, cds/engine/kinds/inputs.py).

Trial files name a kind and give its parameters; the loader validates them against the
kind's pydantic model at start-up, so a misspelt key fails there, not on a request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from cds.engine.context import EvaluationContext
from cds.engine.outcome import Outcome


class Params(BaseModel):
    """Base of every kind's parameters: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def analytes_read(self) -> frozenset[str]:
        """The lab analytes this part reads (what the service must ask the EHR for)."""
        return frozenset()


P = TypeVar("P", bound=Params)


@dataclass(frozen=True)
class Kind(Generic[P]):
    """One evaluator kind."""

    name: str
    params: type[P]
    evaluate: Callable[[P, EvaluationContext], Outcome]
    reads: tuple[str, ...]
    # False only when the patient has no fact the part reads (cds/engine/kinds/inputs.py).
    has_input: Callable[[P, EvaluationContext], bool]


KINDS: dict[str, Kind[Any]] = {}


def kind(
    name: str, params: type[P], reads: tuple[str, ...], has_input: Callable[[P, EvaluationContext], bool]
) -> Callable[[Callable[[P, EvaluationContext], Outcome]], Callable[[P, EvaluationContext], Outcome]]:
    """Register an evaluator function under a kind name."""

    def register(fn: Callable[[P, EvaluationContext], Outcome]) -> Callable[[P, EvaluationContext], Outcome]:
        if name in KINDS:
            raise ValueError(f"evaluator kind {name!r} registered twice")
        KINDS[name] = Kind(name, params, fn, reads, has_input)
        return fn

    return register
