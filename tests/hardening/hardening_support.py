"""Helpers the hardening tests share to read the service's error answers."""

from __future__ import annotations

from typing import Any


def diagnostics(response: Any) -> str:
    """Every issue text of an OperationOutcome error answer, joined."""
    assert response.is_json, response.get_data(as_text=True)
    body = response.json
    assert body["resourceType"] == "OperationOutcome"
    return " | ".join(issue["diagnostics"] for issue in body["issue"])


def error_code(response: Any) -> str:
    """The service's stable error code of an OperationOutcome answer."""
    return response.json["issue"][0]["details"]["coding"][0]["code"]
