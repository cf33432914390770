"""The trial file, as typed objects: metadata, local codes and compiled criteria."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cds.engine.kinds.manual import manual as manual_kind
from cds.engine.tree import Leaf, Node, leaves
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


class CardRequirement(BaseModel):
    """Which criteria must be met, not merely unknown, before the trial shows a card at all.

    A patient nothing excludes but nothing points to either (diagnosis, disease activity
    and serology all unknown) would otherwise get a card with a dozen items to confirm:
    the alert fatigue that makes clinicians stop reading trial alerts. The loader checks
    that every id names an inclusion of the same file that the record can meet.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    # At least one of these must be met.
    any_met: tuple[str, ...] = ()
    # Every one of these must be met.
    all_met: tuple[str, ...] = ()
    # Why these criteria are the evidence a card needs (the trial author's choice, in words).
    why: str = Field(min_length=1)

    @model_validator(mode="after")
    def _names_criteria(self) -> CardRequirement:
        if not self.any_met and not self.all_met:
            raise ValueError("give any_met, all_met or both (criterion ids)")
        return self

    @property
    def criterion_ids(self) -> tuple[str, ...]:
        """Every id it names, any_met first, each once."""
        return tuple(dict.fromkeys((*self.any_met, *self.all_met)))

    def satisfied_by(self, met: frozenset[str]) -> bool:
        """Whether the criteria met (their ids) are the evidence it asks for."""
        any_ok = not self.any_met or not met.isdisjoint(self.any_met)
        return any_ok and met.issuperset(self.all_met)


# FHIR R4 ServiceRequest.performer may reference these types
# (hl7.org/fhir/R4/servicerequest-definitions.html#ServiceRequest.performer), with a FHIR id.
PERFORMER_REFERENCE = r"^(Practitioner|PractitionerRole|Organization|CareTeam|HealthcareService)/[A-Za-z0-9\-.]{1,64}$"


class StudyTeam(BaseModel):
    """Who receives the referral a card suggests: set by each site, which knows its team."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # How the referral names the team ("Rheumatology research team, NCT05247203").
    name: str = Field(min_length=1, max_length=120)
    # How to reach it, in words (a phone line, a secure-message pool); left out: not said.
    contact: str = ""
    # The team in the site's EHR (CareTeam/…, Organization/…, …): the referral's performer.
    # Left out, the referral names the team in a note only.
    reference: str | None = Field(default=None, pattern=PERFORMER_REFERENCE)


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
    card_requires: CardRequirement | None = None
    study_team: StudyTeam | None = None
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
    def leaves(self) -> tuple[Leaf, ...]:
        """Every evaluator part of its logic, in order."""
        return tuple(leaves(self.logic))

    @cached_property
    def manual(self) -> bool:
        """Whether only a person can decide it (every part is a manual check)."""
        return all(leaf.kind.evaluate is manual_kind for leaf in self.leaves)


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
    # Left out: every patient nothing excludes gets a card (no evidence asked for).
    card_requires: CardRequirement | None = None
    # Left out: the referral is addressed to "the <NCT id> study team".
    study_team: StudyTeam | None = None

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

