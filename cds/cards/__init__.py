"""CDS Hooks cards from trial evaluations: which card each trial gets, what it says and
suggests, and the order and cap of one answer's cards.

Wording choices and codes that are not trial-specific live in cards.yaml; trial wording
(labels, short title, study team) comes from the trial file.
"""

from cds.cards.actions import prepare_referrals
from cds.cards.build import build_cards, has_evidence
from cds.cards.model import EVALUATION_EXTENSION, Card, CardOptions, Evaluation, TrialInfo
from cds.cards.ranking import ranked_cards

__all__ = [
    "EVALUATION_EXTENSION",
    "Card",
    "CardOptions",
    "Evaluation",
    "TrialInfo",
    "build_cards",
    "has_evidence",
    "prepare_referrals",
    "ranked_cards",
]
