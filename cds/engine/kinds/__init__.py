"""Generic evaluator kinds. Importing this package registers every kind."""

from cds.engine.kinds import (
    allergies,
    conditions,
    demographics,
    diagnosis,
    drug_doses,
    encounters,
    events,
    labs,
    latest_class,
    manual,
    medications,
    ratios,
    renal,
    serology,
)
from cds.engine.kinds.registry import KINDS, Kind, Params

__all__ = [
    "KINDS", "Kind", "Params", "allergies", "conditions", "demographics", "diagnosis", "drug_doses", "encounters",
    "events", "labs", "latest_class", "manual", "medications", "ratios", "renal", "serology",
]
