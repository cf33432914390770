"""Checks of CDS Hooks 2.0 response rules that every card must pass (checklist A, H, L)."""

from __future__ import annotations

import uuid
from typing import Any

INDICATORS = {"info", "warning", "critical"}
LINK_TYPES = {"absolute", "smart"}


def assert_no_null_or_empty(value: Any, path: str = "card") -> None:
    """CDS Hooks 2.0 §Use of JSON: no element is null or empty ("", [], {})."""
    assert value is not None and value not in ("", [], {}), f"{path} is null or empty"
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "extension":  # an extension's content is its owner's business
                assert_no_null_or_empty(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            assert_no_null_or_empty(item, f"{path}[{index}]")


def assert_valid_card(card: dict[str, Any]) -> None:
    """One card obeys the spec's rules on its fields."""
    assert_no_null_or_empty(card)
    assert isinstance(card["summary"], str) and len(card["summary"]) < 140
    assert card["indicator"] in INDICATORS
    assert card["source"]["label"]
    assert str(uuid.UUID(card["uuid"])) == card["uuid"]
    for link in card.get("links", []):
        assert link["label"] and link["url"].startswith("https://") and link["type"] in LINK_TYPES
    for reason in card.get("overrideReasons", []):
        assert reason["system"] and reason["code"] and reason["display"]
    if "suggestions" in card:
        assert card["selectionBehavior"] in {"at-most-one", "any"}
        for suggestion in card["suggestions"]:
            uuid.UUID(suggestion["uuid"])
            for action in suggestion["actions"]:
                assert action["type"] in {"create", "update", "delete"} and action["description"]
