"""`allergy`: any allergy record (history, whatever its status) to a drug group."""

from __future__ import annotations

from cds.engine.context import EvaluationContext
from cds.engine.kinds.registry import Params, kind
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence, Outcome
from fhir_mappings.drugs import drug_catalog


class AllergyParams(Params):
    """Drug groups whose members (or, for suffix groups, names) count."""

    groups: list[str]
    label: str


@kind("allergy", AllergyParams, reads=("AllergyIntolerance",))
def allergy(params: AllergyParams, ctx: EvaluationContext) -> Outcome:
    """Met by an AllergyIntolerance to a member of the groups."""
    catalog = drug_catalog()
    hits = [
        a
        for a in ctx.facts.allergies
        if any(catalog.in_group(g, name) for g in params.groups for name in a.ingredients + a.words)
    ]
    if not hits:
        return Outcome(Tri.NOT_MET, f"no record of allergy to {params.label}")
    evidence = tuple(Evidence(a.reference, a.code, a.label, a.recorded) for a in hits)
    return Outcome(Tri.MET, f"allergy to {', '.join(a.label for a in hits)} recorded", evidence)
