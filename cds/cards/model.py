"""What cards are built from: the evaluation JSON, the trial's card-facing facts, the
deployment's card options and `cards.yaml`.

Cards are built only from the evaluation JSON that `trialcds evaluate --format json`
prints, so the card and the CLI can never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Protocol


from cds.trials.schema import CardRequirement, StudyTeam
from cds.worksheet.links import launch_url
from fhir_mappings.yaml_data import load_yaml

Card = dict[str, Any]
Evaluation = dict[str, Any]
# One entry of an evaluation's `criteria`.
CriterionJson = dict[str, Any]
EVALUATION_EXTENSION = "trialcds.evaluation"
POTENTIALLY_ELIGIBLE = "potentially_eligible"


class TrialInfo(Protocol):
    """What a card needs to know about a trial (cds.trials.schema.Trial has it)."""

    id: str
    nct_id: str
    title: str
    short_title: str
    url: str
    card_requires: CardRequirement | None
    study_team: StudyTeam | None


@dataclass(frozen=True)
class CardOptions:
    """Deployment choices for cards."""

    eligible_soon: bool
    eligible_soon_days: int
    # The eligibility worksheet's SMART launch URL (the card's `smart` link).
    worksheet_launch_url: str = launch_url(None)
    # Most cards in one answer (`ranked_cards`); None: every card.
    max_cards: int | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CardOptions:
        """The options a checked app config (cds.config) sets."""
        return cls(
            config["CARD_ELIGIBLE_SOON"],
            config["CARD_ELIGIBLE_SOON_DAYS"],
            launch_url(config.get("PUBLIC_BASE_URL")),
            config["CARD_MAX"],
        )


@cache
def settings() -> dict[str, Any]:
    """cards.yaml, read once."""
    text = resources.files("cds.cards").joinpath("cards.yaml").read_text("utf-8")
    return load_yaml(text)


def to_confirm(evaluation: Evaluation) -> list[CriterionJson]:
    """The unknown criteria: what the study team confirms at screening."""
    return [c for c in evaluation["criteria"] if c["status"] == "unknown"]


def met_ids(evaluation: Evaluation) -> frozenset[str]:
    """The ids of the criteria the record meets."""
    return frozenset(c["id"] for c in evaluation["criteria"] if c["status"] == "met")


def blocking(evaluation: Evaluation) -> list[CriterionJson]:
    """The criteria that make the patient ineligible: inclusions not met, exclusions met."""
    return [c for c in evaluation["criteria"] if c["status"] == ("not_met" if c["kind"] == "inclusion" else "met")]
