"""Guard: trial knowledge and code lists live in data files, never in engine or mapping code.

No `.py` file under `cds/engine/` or `fhir_mappings/` may hold an NCT id, or a string
or number literal shaped like a LOINC code (digits-check digit) or a SNOMED CT
identifier (6 to 18 digits). House style: "no bare code literal" in Python.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
GUARDED = sorted([*(REPO / "cds" / "engine").rglob("*.py"), *(REPO / "fhir_mappings").rglob("*.py")])
NCT_ID = re.compile(r"NCT\d{8}", re.IGNORECASE)
LOINC_LIKE = re.compile(r"^\d{1,5}-\d$")
SNOMED_LIKE = re.compile(r"^\d{6,18}$")


def _code_literals(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.strip()
            if LOINC_LIKE.match(text) or SNOMED_LIKE.match(text):
                found.append(text)
        elif isinstance(node, ast.Constant) and type(node.value) is int and node.value >= 100000:
            found.append(str(node.value))
    return found


def test_guard_covers_the_engine_and_the_mappings() -> None:
    assert any(p.parent.name == "kinds" for p in GUARDED)
    assert any(p.name == "labs.py" and p.parent.name == "fhir_mappings" for p in GUARDED)


@pytest.mark.parametrize("path", GUARDED, ids=lambda p: str(p.relative_to(REPO)))
def test_no_nct_id_or_code_literal(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert not NCT_ID.search(source), f"{path}: names a trial"
    assert _code_literals(source) == [], f"{path}: code literals belong in valuesets/*.yaml"


@pytest.mark.parametrize(
    ("snippet", "caught"),
    [('HEMOGLOBIN = "718-7"', True), ("SLE = 55464009", True), ('X = "200936003"', True),
     ('DAYS = 90', False), ('URI = "http://loinc.org"', False)],
)
def test_the_guard_itself_catches_code_literals(snippet: str, caught: bool) -> None:
    assert bool(_code_literals(snippet)) is caught
