"""`age`: completed years at D within an inclusive range."""

from __future__ import annotations

from cds.engine.context import EvaluationContext
from cds.engine.kinds.registry import Params, kind
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence, Outcome


class AgeParams(Params):
    """Inclusive bounds in completed years; without `max_years` the range is open above
    ("18 years or older")."""

    min_years: int
    max_years: int | None = None

    def describe(self) -> str:
        """The range as a reason reads it: "18-65", "at least 18"."""
        return f"at least {self.min_years}" if self.max_years is None else f"{self.min_years}-{self.max_years}"

    def holds(self, age: int) -> bool:
        """Whether an age lies inside the bounds."""
        return self.min_years <= age and (self.max_years is None or age <= self.max_years)


def _has_input(params: AgeParams, ctx: EvaluationContext) -> bool:
    """A birth date that gives an age at D."""
    return ctx.facts.demographics.age_range(ctx.as_of) is not None


@kind("age", AgeParams, reads=("Patient",), has_input=_has_input)
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
    open_ended = params.max_years is None
    inside = [params.holds(a) for a in range(youngest, oldest + 1)]
    if all(inside):
        return Outcome(Tri.MET, f"age {shown} at {ctx.as_of.isoformat()} ({bounds if open_ended else 'within ' + bounds})", evidence)
    if not any(inside):
        return Outcome(Tri.NOT_MET, f"age {shown} at {ctx.as_of.isoformat()} ({'not ' if open_ended else 'outside '}{bounds})", evidence)
    return Outcome(Tri.UNKNOWN, f"partial birth date: age {shown}, on both sides of {bounds}", evidence)
