"""Generic evaluator kinds. Importing this package registers every kind."""

from cds.engine.kinds import (
    allergies,
    conditions,
    demographics,
    drug_doses,
    events,
    labs,
    manual,
    medications,
)
from cds.engine.kinds.registry import KINDS, Kind, Params

__all__ = ["KINDS", "Kind", "Params", "allergies", "conditions", "demographics", "drug_doses", "events", "labs", "manual", "medications"]
