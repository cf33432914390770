"""`age`: completed years at D within an inclusive range."""

from __future__ import annotations

from pydantic import model_validator

from cds.engine.context import EvaluationContext
from cds.engine.kinds.registry import Params, kind
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence, Outcome


class AgeParams(Params):
    """Inclusive bounds in completed years; a missing bound is open."""

    min_years: int | None = None
    max_years: int | None = None

    @model_validator(mode="after")
    def _a_bound(self) -> AgeParams:
        if self.min_years is None and self.max_years is None:
            raise ValueError("give min_years, max_years or both")
        return self

    def describe(self) -> str:
        """The range as a reason reads it: "18-65", "at least 18", "at most 75"."""
        if self.min_years is not None and self.max_years is not None:
            return f"{self.min_years}-{self.max_years}"
        return f"at least {self.min_years}" if self.min_years is not None else f"at most {self.max_years}"

    def holds(self, age: int) -> bool:
        """Whether an age lies inside the bounds."""
        low = self.min_years if self.min_years is not None else age
        high = self.max_years if self.max_years is not None else age
        return low <= age <= high


@kind("age", AgeParams, reads=("Patient",))
def age(params: AgeParams, ctx: EvaluationContext) -> Outcome:
    """Met inside the range; a partial birthDate decides only if its whole range agrees."""
    demo = ctx.facts.demographics
    ages = demo.age_range(ctx.as_of)
    if ages is None:
        return Outcome(Tri.UNKNOWN, "no birth date recorded")
    youngest, oldest = ages
    evidence = (Evidence(demo.reference, "birthDate", demo.birth_text, demo.birth_earliest),)
    shown = str(youngest) if youngest == oldest else f"{youngest}-{oldest}"
    bounds = params.describe()
    open_ended = params.min_years is None or params.max_years is None
    inside = [params.holds(a) for a in range(youngest, oldest + 1)]
    if all(inside):
        return Outcome(Tri.MET, f"age {shown} at {ctx.as_of.isoformat()} ({bounds if open_ended else 'within ' + bounds})", evidence)
    if not any(inside):
        return Outcome(Tri.NOT_MET, f"age {shown} at {ctx.as_of.isoformat()} ({'not ' if open_ended else 'outside '}{bounds})", evidence)
    return Outcome(Tri.UNKNOWN, f"partial birth date: age {shown}, on both sides of {bounds}", evidence)
