"""Fixtures for card tests: a trial's card-facing facts and evaluation JSON objects (card_evaluations.py)."""

from __future__ import annotations

import copy
import datetime
from typing import Any

import pytest
from card_evaluations import AS_OF, POTENTIALLY_ELIGIBLE, CardTrial, ineligible


@pytest.fixture
def as_of() -> datetime.date:
    """The evaluation date of every evaluation here."""
    return AS_OF


@pytest.fixture
def trial() -> CardTrial:
    return CardTrial()


@pytest.fixture
def potentially_eligible() -> dict[str, Any]:
    return copy.deepcopy(POTENTIALLY_ELIGIBLE)


@pytest.fixture
def ineligible_until() -> Any:
    """An ineligible evaluation that clears (E8) on the given date."""
    return lambda day: ineligible(day.isoformat(), day.isoformat())


@pytest.fixture
def ineligible_for_good() -> dict[str, Any]:
    return ineligible(None, None)
