"""Build, validate and write each trial's FHIR resources.

Every resource is validated with fhir.resources before it is written: the R4B models for
the R4 resources (ResearchStudy and Group are the same in R4 and R4B for what is written
here), the top-level R5 model for EvidenceVariable, which R4 does not have in this form.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
from fhir.resources.evidencevariable import EvidenceVariable
from fhir.resources.R4B.group import Group
from fhir.resources.R4B.researchstudy import ResearchStudy
from pydantic import BaseModel

from cds.export.evidence_variable import evidence_variable
from cds.export.research_study import research_study
from cds.trials.schema import Trial

# Each exported resource type, the FHIR version it is written in, and its model.
MODELS: dict[str, tuple[str, type[BaseModel]]] = {
    "ResearchStudy": ("R4", ResearchStudy),
    "Group": ("R4", Group),
    "EvidenceVariable": ("R5", EvidenceVariable),
}


def trial_resources(trial: Trial) -> dict[str, dict[str, Any]]:
    """The trial's resources by type, each validated and as its model writes it.

    :raise ExportError: the trial's logic has a node the export does not know.
    :raise pydantic.ValidationError: a resource is not valid FHIR (a bug of the export).
    """
    study, group = research_study(trial)
    built = {"ResearchStudy": study, "Group": group, "EvidenceVariable": evidence_variable(trial)}
    return {
        name: MODELS[name][1].model_validate(resource).model_dump(mode="json", exclude_none=True)
        for name, resource in built.items()
    }


def write_export(trials: Iterable[Trial], out: Path) -> list[Path]:
    """Write `<out>/<trial id>/<ResourceType>.json` for every trial; return the files written."""
    written = []
    for trial in trials:
        folder = out / trial.id
        folder.mkdir(parents=True, exist_ok=True)
        for name, resource in trial_resources(trial).items():
            path = folder / f"{name}.json"
            path.write_bytes(orjson.dumps(resource, option=orjson.OPT_INDENT_2) + b"\n")
            written.append(path)
    return written
