"""`allergy`: an allergy or intolerance record to a drug group.

By default any record counts, whatever its clinical status (an allergy *history*); a
documented allergy or intolerance (portfolio G14) counts only while its clinicalStatus
is active or absent (`clinical_status: active_or_absent`): inactive and resolved records
do not. Refuted and entered-in-error records never count (fhir_mappings/allergies.py).
The substance is the RxNorm ingredient, a product code mapped to it, or a name. Groups
in `unknown_groups` (G13 tier c) make the part unknown, with `unknown_reason`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from cds.engine.context import EvaluationContext
from cds.engine.kinds.drug_parts import DrugGroupName
from cds.engine.kinds.registry import Params, kind
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence, Outcome
from fhir_mappings.allergies import AllergyFact
from fhir_mappings.drugs import drug_catalog

# clinicalStatus values under which a documented allergy or intolerance still counts (G14).
CURRENT = frozenset({"active", None})


class AllergyParams(Params):
    """Drug groups whose members (or, for suffix groups, names) count."""

    groups: list[DrugGroupName]
    label: str
    unknown_groups: list[DrugGroupName] = []
    unknown_reason: str = "confirm whether the sponsor counts it"
    clinical_status: Literal["any", "active_or_absent"] = "any"


def _naming(allergies: Iterable[AllergyFact], groups: list[str]) -> list[AllergyFact]:
    catalog = drug_catalog()
    return [a for a in allergies if any(catalog.in_group(g, name) for g in groups for name in a.ingredients + a.words)]


def _evidence(allergies: Iterable[AllergyFact]) -> tuple[Evidence, ...]:
    return tuple(Evidence(a.reference, a.code, a.label, a.recorded) for a in allergies)


def _has_input(params: AllergyParams, ctx: EvaluationContext) -> bool:
    """Any allergy, current or not, to a member of the part's groups."""
    return bool(_naming(ctx.facts.allergies, [*params.groups, *params.unknown_groups]))


@kind("allergy", AllergyParams, reads=("AllergyIntolerance",), has_input=_has_input)
def allergy(params: AllergyParams, ctx: EvaluationContext) -> Outcome:
    """Met by an AllergyIntolerance to a member of the groups; unknown by one to a member of
    the unknown groups; else not_met (closed world)."""
    counted = ctx.facts.allergies
    if params.clinical_status == "active_or_absent":
        counted = [a for a in counted if a.clinical_status in CURRENT]
    hits = _naming(counted, params.groups)
    if hits:
        return Outcome(Tri.MET, f"allergy to {', '.join(a.label for a in hits)} recorded", _evidence(hits))
    doubtful = _naming(counted, params.unknown_groups)
    if doubtful:
        reason = f"allergy or intolerance to {', '.join(a.label for a in doubtful)} recorded: {params.unknown_reason}"
        return Outcome(Tri.UNKNOWN, reason, _evidence(doubtful))
    past = [a for a in _naming(ctx.facts.allergies, params.groups) if a not in counted]
    note = f" ({', '.join(f'{a.label}: {a.clinical_status}' for a in past)}, which does not count)" if past else ""
    return Outcome(Tri.NOT_MET, f"no record of allergy to {params.label}{note}")
