"""One part of a criterion's logic (an evaluator kind with its parameters) in FHIR terms.

The mapping reads parameter names, never kind names, so a new kind whose parameters follow
the naming exports without new code:

| parameter | FHIR |
|---|---|
| `label` | the part's description |
| `valuesets`, `groups` (`*_valuesets`, `*_groups`) | the codes that count (value) |
| `analyte`, `analytes` (`*_analyte(s)`) | what is measured (type) |
| `comparator` + `value` (+ `unit`) | a Quantity threshold, UCUM unit |
| `min_years`, `max_years` | an age Range (type LOINC 30525-0 Age) |
| `within_<unit>`, `lookback_<unit>` (days, weeks, months, years), with `less_than` | timeFromEvent before the evaluation date (an excluded first day said in its description) |
| `min_<unit>` | durationQuantity (at least) |
| `unknown_when`, `when_no_code`, `unknown_groups`, `unknown_reason`, `when_no_records` | a note: they only make a part unknown, never change what meets it |
| anything else (×ULN ratios, doses, routes, "most recent", tiers …) | a note naming the parameter and its value |

Every part also carries, as a note, what its kind does (the first line of the kind's
parameter docstring), so no reader takes the codes for the whole rule.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cds.engine.tree import Leaf
from cds.export.codes import Coded, Coding, codes_of
from cds.trials.parameters import target_of
from cds.trials.schema import Trial
from fhir_mappings.codes import LOINC, UCUM

LABEL = "label"
LESS_THAN = "less_than"
THRESHOLD = ("comparator", "value", "unit")
AGE_BOUNDS = ("min_years", "max_years")
WINDOW = re.compile(r"^(?:within|lookback)_(days|weeks|months|years)$")
DURATION = re.compile(r"^min_(days|weeks|months|years)$")
# Parameters that only turn some records into `unknown` (confirm at screening): what
# meets the part is the same without them.
UNKNOWN_ONLY = frozenset({"unknown_when", "when_no_code", "unknown_groups", "unknown_reason", "when_no_records"})
UCUM_TIME = {"days": "d", "weeks": "wk", "months": "mo", "years": "a"}
AGE = {"coding": [{"system": LOINC, "code": "30525-0", "display": "Age"}], "text": "age"}
DAY_0 = "the evaluation date (Day 0, the screening visit)"


def time_quantity(amount: int | Decimal, unit: str) -> dict[str, Any]:
    """A UCUM time Quantity ("days", "months" …)."""
    return {"value": amount, "unit": unit, "system": UCUM, "code": UCUM_TIME[unit]}


@dataclass(frozen=True)
class Window:
    """"Within `amount` `unit` before D", both ends included; with `less_than`, the first
    day (D − amount) excluded (portfolio G1 "less than")."""

    amount: int
    unit: str
    less_than: bool = False

    def time_from_event(self) -> dict[str, Any]:
        """R5 EvidenceVariable.characteristic.timeFromEvent: from D − amount to D (a Range
        cannot say that an end is excluded, so its description does)."""
        words = (
            f"less than {self.amount} {self.unit} before {DAY_0}: D − {self.amount} {self.unit} itself excluded, D included"
            if self.less_than else f"within {self.amount} {self.unit} before {DAY_0}, both days included"
        )
        return {
            "description": words,
            "eventCodeableConcept": {"text": DAY_0},
            "range": {"low": time_quantity(-self.amount, self.unit), "high": time_quantity(0, self.unit)},
        }


@dataclass
class Part:
    """A logic part as FHIR can hold it, and what it cannot (`notes`)."""

    description: str
    record_types: tuple[str, ...]
    measured: Coded = field(default_factory=Coded)
    counted: Coded = field(default_factory=Coded)
    quantity: dict[str, Any] | None = None
    age: dict[str, Any] | None = None
    windows: list[Window] = field(default_factory=list)
    durations: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Parameters no FHIR element holds (in `notes`): the part is then only partly stated.
    unexpressed: list[str] = field(default_factory=list)

    @property
    def stated_whole(self) -> bool:
        """Whether FHIR elements alone state what meets this part (the notes change nothing)."""
        return not self.unexpressed and not self.measured.notes and not self.counted.notes


def _number(value: Any) -> Any:
    """Decimals (thresholds, ratios, factors) as JSON numbers, exactly as written."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)


def _words(name: str, value: Any) -> str:
    return f"{name}: {json.dumps(value, ensure_ascii=False, default=_number)}"


def _threshold(values: dict[str, Any]) -> dict[str, Any]:
    quantity: dict[str, Any] = {"value": values["value"], "comparator": values["comparator"]}
    if values.get("unit"):
        quantity.update(unit=values["unit"], system=UCUM, code=values["unit"])
    return quantity


def _age(values: dict[str, Any]) -> dict[str, Any]:
    bounds = {"low": "min_years", "high": "max_years"}
    return {end: time_quantity(values[key], "years") for end, key in bounds.items() if values.get(key) is not None}


def _kind_note(leaf: Leaf) -> str:
    """What the kind does: the first paragraph of its parameter model's docstring."""
    summary = " ".join((leaf.kind.params.__doc__ or "").strip().split("\n\n")[0].split())
    return f"trialcds rule `{leaf.kind.name}`" + (f": {summary}" if summary else "")


def part_of(leaf: Leaf, trial: Trial) -> Part:
    """The FHIR reading of one leaf of a criterion's logic."""
    values = leaf.params.model_dump(mode="python")
    written = leaf.params.model_fields_set
    part = Part(str(values.get(LABEL) or ""), leaf.kind.reads, notes=[_kind_note(leaf)])
    handled = {LABEL, LESS_THAN}
    if values.get("comparator") is not None and values.get("value") is not None:
        part.quantity = _threshold(values)
        handled.update(THRESHOLD)
    if any(values.get(key) is not None for key in AGE_BOUNDS):
        part.age = _age(values)
        handled.update(AGE_BOUNDS)
    for name, value in values.items():
        target = target_of(name)
        window, duration = WINDOW.match(name), DURATION.match(name)
        if name in UNKNOWN_ONLY and name in written and value not in (None, "", [], {}):
            part.notes.append(f"only makes the part unknown (confirm at screening), never met: {_words(name, value)}")
        elif target is not None and value:
            for item in [value] if isinstance(value, str) else value:
                (part.measured if target == "analyte" else part.counted).add(codes_of(target, item, trial))
        elif window and value is not None:
            part.windows.append(Window(int(value), window.group(1), bool(values.get(LESS_THAN))))
        elif duration and value is not None and name not in handled:
            part.durations.append({"comparator": ">=", **time_quantity(value, duration.group(1))})
        elif name in handled or target is not None or value in (None, "", [], {}):
            continue
        elif name in written:
            part.unexpressed.append(_words(name, value))
    for name in sorted(leaf.params.analytes_read() - _named_analytes(values)):
        part.notes.append(f"also reads analyte {name}: {_tokens(codes_of('analyte', name, trial).codings)}")
    if part.age is not None and part.quantity is not None:
        part.unexpressed.append("threshold beside the age range: " + _words("threshold", part.quantity))
    if part.counted.codings and (part.quantity is not None or part.age is not None):
        part.unexpressed.append("codes that count beside the threshold: " + _tokens(part.counted.codings))
    if not part.description:
        texts = [value for name, value in values.items() if name in written and isinstance(value, str)]
        part.description = texts[0] if texts else leaf.kind.name
    if part.unexpressed:
        part.notes.append("not expressible as FHIR elements, stated here: " + "; ".join(part.unexpressed))
    part.notes += part.measured.notes + part.counted.notes
    return part


def _named_analytes(values: dict[str, Any]) -> set[str]:
    """The analytes named by parameters that follow the naming (`analyte`, `analytes` …)."""
    named: set[str] = set()
    for name, value in values.items():
        if target_of(name) == "analyte" and value:
            named.update([value] if isinstance(value, str) else value)
    return named


def _tokens(codings: list[Coding]) -> str:
    return ", ".join(f"{c['system']}|{c['code']}" for c in codings) or "no code"
