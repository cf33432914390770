"""The trial file, as typed objects: metadata, local codes and compiled criteria."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cds.engine.kinds.manual import manual as manual_kind
from cds.engine.tree import Node, leaves
from fhir_mappings.codes import SYSTEM_BY_ALIAS
from fhir_mappings.labs import codes_of

# FHIR R4 ResearchStudy.status (http://hl7.org/fhir/research-study-status).
StudyStatus = Literal[
    "active", "administratively-completed", "approved", "closed-to-accrual",
    "closed-to-accrual-and-intervention", "completed", "disapproved", "in-review",
    "temporarily-closed-to-accrual", "temporarily-closed-to-accrual-and-intervention", "withdrawn",
]
# FHIR R4 ResearchStudy.phase (http://terminology.hl7.org/CodeSystem/research-study-phase).
StudyPhase = Literal[
    "n-a", "early-phase-1", "phase-1", "phase-1-phase-2", "phase-2", "phase-2-phase-3", "phase-3", "phase-4",
]


class LocalCode(BaseModel):
    """A site-specific code for an input with no standard code (e.g. a disease score)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    system: str
    code: str
    display: str = ""


class StudyCondition(BaseModel):
    """A condition the trial studies, as one code with where it comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    system: str  # a code-system alias of the value-set files: snomed, icd10cm, ...
    code: str
    display: str
    source: str

    @field_validator("system")
    @classmethod
    def _known_system(cls, alias: str) -> str:
        if alias not in SYSTEM_BY_ALIAS:
            raise ValueError(f"unknown code system {alias!r} (known: {', '.join(SYSTEM_BY_ALIAS)})")
        return alias


class StudyFacts(BaseModel):
    """Registry facts about the trial that no criterion needs but its FHIR export carries
    (`trialcds export`). Every field is optional: what is not known stays out."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    status: StudyStatus | None = None
    phase: StudyPhase | None = None
    # Participants the registry gives (planned or enrolled, as it says).
    enrollment: int | None = Field(default=None, gt=0)
    conditions: tuple[StudyCondition, ...] = ()
    # Where these facts come from (a registry page, the criteria page's header).
    source: str = ""


class CriterionFile(BaseModel):
    """One criterion as written in the trial file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    kind: Literal["inclusion", "exclusion"]
    # A short clinician-readable name ("Hemoglobin below 85 g/L"): what cards and the
    # worksheet show instead of the criterion id.
    label: str = Field(min_length=1, max_length=80)
    statement: str
    source: str
    choices: list[str] = Field(default_factory=list)
    logic: dict[str, Any]


class TrialFile(BaseModel):
    """The whole trial file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    nct_id: str
    title: str
    short_title: str
    sponsor: str
    url: str
    eligibility_text: str
    study: StudyFacts = StudyFacts()
    local_analytes: dict[str, list[LocalCode]] = Field(default_factory=dict)
    criteria: list[CriterionFile]


@dataclass(frozen=True)
class Criterion:
    """A criterion ready to evaluate."""

    id: str
    kind: Literal["inclusion", "exclusion"]
    label: str
    statement: str
    source: str
    logic: Node
    choices: tuple[str, ...] = ()

    @cached_property
    def manual(self) -> bool:
        """Whether only a person can decide it (every part is a manual check)."""
        return all(leaf.kind.evaluate is manual_kind for leaf in leaves(self.logic))


@dataclass(frozen=True)
class Trial:
    """A configured trial: metadata, trial-local analyte codes and criteria in file order."""

    id: str
    nct_id: str
    title: str
    short_title: str
    sponsor: str
    url: str
    local_analytes: dict[str, tuple[tuple[str, str], ...]]
    criteria: tuple[Criterion, ...]
    eligibility_text: str = ""
    study: StudyFacts = StudyFacts()

    @property
    def observation_codes(self) -> frozenset[tuple[str, str]]:
        """(system, code) of every Observation the criteria read, local codes included."""
        names = {name for c in self.criteria for leaf in leaves(c.logic) for name in leaf.params.analytes_read()}
        local = {code for name in names for code in self.local_analytes.get(name, ())}
        return codes_of(names) | local

    @property
    def resource_types(self) -> frozenset[str]:
        """FHIR resource types the criteria read (always Patient): what prefetch must cover."""
        types = {"Patient"}
        for criterion in self.criteria:
            for leaf in leaves(criterion.logic):
                types.update(leaf.kind.reads)
        return frozenset(types)

