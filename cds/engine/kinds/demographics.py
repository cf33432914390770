"""`age`: completed years at D within an inclusive range."""

from __future__ import annotations

from cds.engine.context import EvaluationContext
from cds.engine.kinds.registry import Params, kind
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence, Outcome


class AgeParams(Params):
    """Inclusive bounds in completed years."""

    min_years: int
    max_years: int


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
    bounds = f"{params.min_years}-{params.max_years}"
    inside = [params.min_years <= a <= params.max_years for a in (youngest, oldest)]
    if all(inside):
        return Outcome(Tri.MET, f"age {shown} at {ctx.as_of.isoformat()} (within {bounds})", evidence)
    if not any(inside) and not (youngest < params.min_years and oldest > params.max_years):
        return Outcome(Tri.NOT_MET, f"age {shown} at {ctx.as_of.isoformat()} (outside {bounds})", evidence)
    return Outcome(Tri.UNKNOWN, f"partial birth date: age {shown}, on both sides of {bounds}", evidence)
