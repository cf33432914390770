"""A trial as FHIR R4: a ResearchStudy and its `enrollment` Group.

R4 has no element for computable criteria beyond Group.characteristic, which is a flat
AND of (code, value, exclude) with no relative time window and no note. The Group holds
the conditions every eligible patient meets that R4 can state exactly:

- a criterion that is one part: the part itself (exclude for an exclusion);
- an exclusion that is `any` of parts: each part, exclude (not (A or B) = not A and not B);
- an inclusion that is `all` of parts: each part;

and of those only parts FHIR elements state whole (`Part.stated_whole`), with a value R4
can hold and no time window or duration. Everything else is in the study's description
(every criterion's source sentence) and, computably, in the R5 EvidenceVariable with the
same identifier; the study's note says which criteria the Group carries.
"""

from __future__ import annotations

from typing import Any

from cds.engine.tree import AllOf, AnyOf, Leaf
from cds.export.fhir_terms import RESOURCE_TYPES_R4, nct_identifier, typed_value
from cds.export.parts import part_of
from cds.trials.schema import Criterion, Trial
from fhir_mappings.codes import SYSTEM_BY_ALIAS

RESEARCH_STUDY_PHASE = "http://terminology.hl7.org/CodeSystem/research-study-phase"
DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"


def group_id(trial: Trial) -> str:
    """The id of the trial's enrollment Group."""
    return f"{trial.id}-enrollment"


def _stated_parts(criterion: Criterion) -> list[Leaf]:
    """The parts whose statement every eligible patient meets (see the module docstring)."""
    logic = criterion.logic
    if isinstance(logic, Leaf):
        return [logic]
    wanted = AnyOf if criterion.kind == "exclusion" else AllOf
    return [part for part in logic.parts if isinstance(part, Leaf)] if type(logic) is wanted else []


def _group_characteristics(criterion: Criterion, trial: Trial) -> list[dict[str, Any]]:
    found = []
    leaves = _stated_parts(criterion)
    for position, leaf in enumerate(leaves, start=1):
        part = part_of(leaf, trial)
        typed = typed_value(part, RESOURCE_TYPES_R4)
        if typed is None or not part.stated_whole or part.windows or part.durations:
            continue
        kind, value_key, value = typed
        element_id = criterion.id if len(leaves) == 1 else f"{criterion.id}-{position}"
        found.append({"id": element_id, "code": kind, value_key: value, "exclude": criterion.kind == "exclusion"})
    return found


def enrollment_group(trial: Trial) -> dict[str, Any]:
    """The definitional Group of who may enrol, as far as R4 can state it (not yet validated)."""
    group: dict[str, Any] = {
        "resourceType": "Group",
        "id": group_id(trial),
        "identifier": [nct_identifier(trial)],
        "type": "person",
        "actual": False,
        "name": f"Who may enrol in {trial.nct_id} ({trial.short_title}), as far as FHIR R4 can state it",
    }
    if trial.study.enrollment is not None:
        group["quantity"] = trial.study.enrollment
    characteristics = [c for criterion in trial.criteria for c in _group_characteristics(criterion, trial)]
    if characteristics:
        group["characteristic"] = characteristics
    return group


def _eligibility_text(trial: Trial) -> str:
    """Every criterion's source sentence, inclusions then exclusions, as markdown."""
    sections = [f"**Eligibility criteria** (each criterion's source sentence; {trial.eligibility_text})"]
    for kind, heading in (("inclusion", "Inclusion criteria"), ("exclusion", "Exclusion criteria")):
        lines = [f"- **{c.id}** {c.source}" for c in trial.criteria if c.kind == kind]
        if lines:
            sections.append(f"{heading}:\n\n" + "\n".join(lines))
    return "\n\n".join(sections)


def _carried_note(trial: Trial) -> str:
    carried = [c.id for c in trial.criteria if _group_characteristics(c, trial)]
    return (
        f"The enrollment Group {group_id(trial)} states, as R4 Group characteristics, conditions every eligible "
        f"patient meets: {', '.join(carried) if carried else 'none'} (parts of criteria that need no time window "
        f"and no rule R4 cannot hold). Every criterion, with its logic, codes, thresholds and windows, is in the "
        f"FHIR R5 EvidenceVariable {trial.id} with the same identifier."
    )


def research_study(trial: Trial) -> tuple[dict[str, Any], dict[str, Any]]:
    """The trial's R4 ResearchStudy and its enrollment Group (not yet validated).

    A status the trial file does not give is sent as data-absent-reason `unknown`, since
    R4 requires ResearchStudy.status and no code means "not known".
    """
    group = enrollment_group(trial)
    study: dict[str, Any] = {
        "resourceType": "ResearchStudy",
        "id": trial.id,
        "identifier": [nct_identifier(trial)],
        "title": trial.title,
        "sponsor": {"display": trial.sponsor},
        "description": _eligibility_text(trial),
        "enrollment": [{"reference": f"Group/{group['id']}", "display": group["name"]}],
        "relatedArtifact": [{"type": "documentation", "label": "ClinicalTrials.gov", "url": trial.url}],
        "note": [{"text": _carried_note(trial)}],
    }
    facts = trial.study
    if facts.status is not None:
        study["status"] = facts.status
    else:
        study["_status"] = {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "unknown"}]}
    if facts.phase is not None:
        study["phase"] = {"coding": [{"system": RESEARCH_STUDY_PHASE, "code": facts.phase}]}
    if facts.conditions:
        study["condition"] = [
            {"coding": [{"system": SYSTEM_BY_ALIAS[c.system], "code": c.code, "display": c.display}], "text": c.display}
            for c in facts.conditions
        ]
    return study, group
