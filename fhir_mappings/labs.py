"""Observations -> lab results by analyte (LOINC value sets), with values kept exact.

Ground rules ("Lab results", revision of 2026-12): only Observation.status final,
amended or corrected counts; a result is dated by effectiveDateTime, else
effectivePeriod.start, else effectiveInstant (never `issued`), a partial date standing
for its whole period; a `component` coded for an analyte is a result of that analyte,
dated and statused by its Observation; an Observation (or component) with a
dataAbsentReason and no value is no result. Values stay in the unit sent; criteria
convert at comparison time, so a unit that cannot be converted surfaces as an `unknown`
reason on exactly the criteria that need it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache, cached_property
from typing import Any

from fhir_mappings.codes import (
    OBSERVATION_INTERPRETATION,
    SYSTEM_BY_ALIAS,
    UCUM,
    V2_ABNORMAL_FLAGS,
    canonical_system,
)
from fhir_mappings.coding import Coding, codings_of, concept_text
from fhir_mappings.dates import Span, date_span
from fhir_mappings.immutable import immutable
from fhir_mappings.readable import (
    READ_ERRORS,
    MalformedResourceError,
    Unreadable,
    element,
    read_each,
    reference_of,
    status_of,
)
from fhir_mappings.terminology import read_yaml
from fhir_mappings.units import Equivalence, UnitError, convert, exact_ucum

COUNTED_STATUSES = frozenset({"final", "amended", "corrected"})
# The code systems of Observation.interpretation (HL7 v3, and v2 table 0078 with the same
# codes); a coding without a system counts too. A local interpretation coding beside
# them changes nothing (ground rules, "Code systems and codings").
INTERPRETATION_SYSTEMS = frozenset({OBSERVATION_INTERPRETATION, V2_ABNORMAL_FLAGS, ""})
TITER = re.compile(r"^\s*([<>]=?)?\s*1\s*[:/]\s*(\d+(?:\.\d+)?)\s*$")
# A valueString that is a number with a comparator ("<0.5", ">= 8", "<20 [IU]/mL"): a
# censored value (ground rules, "Lab results"); a unit after it is read as exact UCUM.
CENSORED = re.compile(r"^\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?|\.\d+)\s*(\S*)\s*$")
# Observation.value[x] (FHIR R4): an element with none of these has no value.
VALUE_KEYS = frozenset(
    {
        "valueQuantity", "valueCodeableConcept", "valueString", "valueBoolean", "valueInteger",
        "valueRange", "valueRatio", "valueSampledData", "valueTime", "valueDateTime", "valuePeriod",
    }
)


@dataclass(frozen=True)
class Analyte:
    """One lab analyte: its codes and its analyte-specific unit bridges.

    A group analyte (`includes` in labs.yaml) has no codes of its own: its results are
    those of the analytes it includes (anti-HBc = total + IgM), so one code belongs to
    exactly one analyte and a criterion may read either the group or a member.
    """

    name: str
    display: str
    codes: frozenset[tuple[str, str]]
    equivalences: tuple[Equivalence, ...]
    includes: tuple[str, ...] = ()


@cache
def analytes() -> dict[str, Analyte]:
    """Every analyte of labs.yaml, by name."""
    found: dict[str, Analyte] = {}
    for name, body in read_yaml("labs.yaml")["analytes"].items():
        codes = frozenset((SYSTEM_BY_ALIAS[c["system"]], str(c["code"])) for c in body.get("codes") or [])
        bridges = tuple(
            Equivalence(e["from"], e["to"], Decimal(str(e["factor"]))) for e in body.get("equivalences") or []
        )
        found[name] = Analyte(name, body.get("display", name), codes, bridges, tuple(body.get("includes") or ()))
    for analyte in found.values():
        unknown = [m for m in analyte.includes if m not in found or found[m].includes]
        if unknown:
            raise ValueError(f"labs.yaml: analyte {analyte.name!r} includes {unknown}, which are not analytes with codes")
    return found


@cache
def equations() -> dict[str, dict[str, Any]]:
    """The published equations of labs.yaml (`equations`), by name: coefficients as written."""
    return dict(read_yaml("labs.yaml").get("equations") or {})


def display_of(name: str) -> str:
    """An analyte's display name (labs.yaml), else its name."""
    known = analytes().get(name)
    return known.display if known is not None else name


def members(name: str) -> tuple[str, ...]:
    """The analytes whose results an analyte name stands for: its members, or itself."""
    known = analytes().get(name)
    return known.includes if known is not None and known.includes else (name,)


def codes_of(names: Iterable[str]) -> frozenset[tuple[str, str]]:
    """The (system, code) pairs of the named analytes (names labs.yaml does not know add none)."""
    known = analytes()
    return frozenset(code for name in names for member in members(name) if member in known for code in known[member].codes)


@cache
def analyte_by_code() -> dict[tuple[str, str], str]:
    """(system, code) -> analyte name, for one pass over a patient's Observations."""
    return {code: a.name for a in analytes().values() for code in a.codes}


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _unit_of(quantity: dict[str, Any]) -> tuple[str | None, str | None]:
    """The quantity's unit, and why it cannot be read if it cannot.

    A UCUM `code` (system UCUM by URI or OID) is the unit, converted through the unit
    table's spellings. With no UCUM code, the `unit` text (else a `code` sent without a
    system) is read only when it is a valid case-sensitive UCUM expression of a unit the
    table knows (ground rules, "Lab results"); otherwise the quantity is unreadable.
    """
    code = quantity.get("code")
    if isinstance(code, str) and code.strip() and canonical_system(quantity.get("system")) == UCUM:
        return code.strip(), None
    text = next(
        (quantity[key] for key in ("unit", "code") if isinstance(quantity.get(key), str) and quantity[key].strip()),
        None,
    )
    if text is None:
        return None, None
    unit = exact_ucum(text)
    if unit is None:
        return text.strip(), f"unit {text.strip()!r} sent without a UCUM code is not a UCUM unit the engine reads"
    return unit, None


@immutable
class LabValue:
    """What a result says: its value[x], reference range and interpretation.

    `problem` is set when the JSON of these elements cannot be read; the result then has
    no value, and the criteria that need it say so.
    """

    quantity: Decimal | None = None
    comparator: str | None = None
    unit: str | None = None
    ref_high: Decimal | None = None
    ref_high_unit: str | None = None
    ref_high_problem: str | None = None
    interpretations: frozenset[str] = frozenset()
    value_codings: tuple[Coding, ...] = ()
    text: str | None = None
    titer: Decimal | None = None
    titer_comparator: str | None = None
    problem: str | None = None

    def describe(self) -> str:
        """The value as a clinician reads it: "84 g/L", "1:160", "positive"."""
        if self.problem and self.quantity is None:
            return "unreadable value"
        if self.quantity is not None:
            text = f"{self.comparator or ''}{self.quantity.normalize():f}"
            return f"{text} {self.unit}" if self.unit else text
        if self.titer is not None:
            return f"{self.titer_comparator or ''}1:{self.titer.normalize():f}"
        if self.text:
            return self.text
        if self.value_codings:
            coding = self.value_codings[0]
            return coding.display or coding.code
        if self.interpretations:
            return "interpretation " + ",".join(sorted(self.interpretations))
        return "no value"


@immutable
class LabResult:
    """One result of one analyte, as the criteria read it.

    Which analyte, which coding and which day are read when the record is extracted;
    the value, and the reference and code token that evidence shows, are worked out
    when a criterion asks. Most results of a long record are only ever compared by
    date (the criteria read the most recent one in a window), so the rest is never
    done for them (docs/performance.md).
    """

    analyte: str
    coding: Coding
    when: Span | None
    timestamp: str
    source: dict[str, Any] = field(repr=False, compare=False)
    part: dict[str, Any] = field(repr=False, compare=False)

    @property
    def day(self) -> date | None:
        """The first day the result can be dated on (its only day unless its date is partial)."""
        return self.when.first if self.when is not None else None

    @property
    def dated(self) -> str:
        """The date as a clinician reads it: the day, or the year or month a partial date names."""
        return self.when.text if self.when is not None else "an unknown date"

    @property
    def collected(self) -> tuple[str, ...]:
        """The collection the result belongs to: its effectiveDateTime (or instant) as
        written, or its effectivePeriod's start and end. Results of one specimen (a
        24-h urine's protein and creatinine, a CBC's WBC and neutrophil %) share it."""
        period = self.source.get("effectivePeriod")
        if isinstance(period, dict) and "effectiveDateTime" not in self.source:
            return ("period", str(period.get("start", "")).strip(), str(period.get("end", "")).strip())
        return ("at", self.timestamp.strip())

    @property
    def reference(self) -> str:
        """`Observation/id` of the result."""
        return reference_of(self.source)

    @property
    def code(self) -> str:
        """The analyte's coding as a `system|code` token."""
        return self.coding.token

    @cached_property
    def value(self) -> LabValue:
        """The parsed value (a `LabValue` with `problem` set when it cannot be read)."""
        try:
            return _value_of(self.source, self.part)
        except READ_ERRORS as exc:
            return LabValue(problem=f"{self.reference} could not be read ({type(exc).__name__})")

    @property
    def quantity(self) -> Decimal | None:
        """valueQuantity.value (not a titer)."""
        return self.value.quantity

    @property
    def comparator(self) -> str | None:
        """valueQuantity.comparator ("<", ">" ...)."""
        return self.value.comparator

    @property
    def unit(self) -> str | None:
        """The quantity's UCUM code (or unit text)."""
        return self.value.unit

    @property
    def ref_high(self) -> Decimal | None:
        """referenceRange.high, the lab's upper limit of normal."""
        return self.value.ref_high

    @property
    def ref_high_unit(self) -> str | None:
        """The unit of referenceRange.high."""
        return self.value.ref_high_unit

    @property
    def problem(self) -> str | None:
        """Why the value could not be read, if it could not."""
        return self.value.problem

    def in_unit(self, unit: str) -> Decimal:
        """The quantity in `unit`.

        :raise UnitError: no readable quantity, or its unit cannot be converted to `unit`.
        """
        value = self.value
        if value.problem:
            raise UnitError(value.problem)
        if value.quantity is None:
            raise UnitError(f"{value.describe()} has no numeric value")
        known = analytes().get(self.analyte)
        return convert(value.quantity, value.unit, unit, known.equivalences if known else ())

    def describe(self) -> str:
        """The value as a clinician reads it: "84 g/L", "1:160", "positive"."""
        return self.value.describe()


def chronological(result: LabResult) -> tuple[date, date, str]:
    """Sort key of results, oldest first: by first and last possible day (undated
    first), then by timestamp."""
    when = result.when
    return (when.first, when.last, result.timestamp) if when is not None else (date.min, date.min, result.timestamp)


def _titer(value: Any) -> tuple[Decimal | None, str | None]:
    if isinstance(value, str):
        match = TITER.match(value)
        if match:
            return _decimal(match.group(2)), match.group(1)
    return None, None


def _censored(text: str) -> dict[str, Any]:
    """The fields of a valueString that is a censored number ("<0.5", ">=8"); none otherwise."""
    match = CENSORED.match(text)
    if match is None:
        return {}
    fields: dict[str, Any] = {"comparator": match.group(1), "quantity": _decimal(match.group(2))}
    if match.group(3):
        fields["unit"], problem = _unit_of({"unit": match.group(3)})
        if problem:
            fields["problem"] = problem
    return fields


def _result(analyte: str, resource: dict[str, Any], part: dict[str, Any], code: Coding) -> LabResult:
    """The result's analyte, resource and dates; its value is read later, when asked for.

    Dated by effectiveDateTime, else effectivePeriod.start, else effectiveInstant; an
    Observation's `issued` (when the report was released) never dates the result.
    """
    effective = (
        resource.get("effectiveDateTime")
        or (element(resource, "effectivePeriod", dict) or {}).get("start")
        or resource.get("effectiveInstant")
    )
    return LabResult(analyte, code, date_span(effective), effective if isinstance(effective, str) else "", resource, part)


def _no_result(part: dict[str, Any]) -> bool:
    """An element that says why its value is absent, and has none: no result at all."""
    return "dataAbsentReason" in part and VALUE_KEYS.isdisjoint(part)


def _value_of(resource: dict[str, Any], part: dict[str, Any]) -> LabValue:
    """Read the value[x], reference range and interpretation of an Observation or component.

    A result carries one value[x] of the four read here, and may lack the rest: each
    element is read only when its key is there (this runs for every result a criterion
    reads, and a call to `element` costs more than the key test).
    """
    fields: dict[str, Any] = {}
    quantity = element(part, "valueQuantity", dict) if "valueQuantity" in part else None
    if quantity is not None:
        unit, problem = _unit_of(quantity)
        if unit and "titer" in unit.lower():
            fields["titer"] = _decimal(quantity.get("value"))
            fields["titer_comparator"] = quantity.get("comparator")
        else:
            fields["quantity"] = _decimal(quantity.get("value"))
            fields["comparator"] = quantity.get("comparator")
            fields["unit"] = unit
            if problem:
                fields["problem"] = problem
    ratio = element(part, "valueRatio", dict) if "valueRatio" in part else None
    if ratio is not None:
        numerator = _decimal((ratio.get("numerator") or {}).get("value"))
        denominator = _decimal((ratio.get("denominator") or {}).get("value"))
        if numerator == 1 and denominator:
            fields["titer"] = denominator
    value_string = element(part, "valueString", str) if "valueString" in part else None
    if value_string is not None:
        fields["text"] = value_string.strip()
        fields["titer"], fields["titer_comparator"] = _titer(value_string)
        if fields["titer"] is None:
            fields.update(_censored(value_string))
    concept = element(part, "valueCodeableConcept", dict) if "valueCodeableConcept" in part else None
    if concept is not None:
        fields["value_codings"] = codings_of(concept)
        # Its words are read for positivity when no coding decides (an uncoded result, or
        # a LOINC answer or local code whose display says "Reactive").
        fields["text"] = concept_text(concept) or None
    interpretation = _list(part, "interpretation") or _list(resource, "interpretation")
    if interpretation:
        fields["interpretations"] = frozenset(
            c.code.upper() for item in interpretation for c in codings_of(item) if c.system in INTERPRETATION_SYSTEMS
        )
    for rng in _list(part, "referenceRange"):
        high = rng.get("high") if isinstance(rng, dict) else None
        high_value = _decimal(high.get("value")) if isinstance(high, dict) else None
        if high_value is not None:
            high_unit, high_problem = _unit_of(high)
            fields["ref_high"] = high_value
            fields["ref_high_unit"] = high_unit or fields.get("unit")
            fields["ref_high_problem"] = high_problem
            break
    return LabValue(**fields)


def _list(resource: dict[str, Any], name: str) -> list[Any]:
    """A list element, empty when absent (read only when present, as in `_value_of`)."""
    return (element(resource, name, list) or []) if name in resource else []


def _may_match(concept: Any, known_codes: frozenset[str]) -> bool:
    """Whether any coding of a CodeableConcept carries one of the known codes (system unchecked).

    Written as one loop: it runs for every Observation of the record, most of which no
    criterion reads (docs/performance.md).

    :raise MalformedResourceError: the concept or its coding list has the wrong JSON type.
    """
    if concept is None:
        return False
    if not isinstance(concept, dict):
        raise MalformedResourceError("code is not a JSON object")
    codings = concept.get("coding")
    if not isinstance(codings, list):
        if codings is None:
            return False
        raise MalformedResourceError("code.coding is not a list")
    for item in codings:
        if isinstance(item, dict):
            code = item.get("code")
            if isinstance(code, str) and code.strip() in known_codes:
                return True
    return False


def extract_lab_results(
    observations: Iterable[dict[str, Any]],
    local_codes: Mapping[tuple[str, str], str] | None = None,
) -> tuple[dict[str, list[LabResult]], list[Unreadable]]:
    """Results by analyte, oldest first, and the Observations that cannot be read.

    Observations of other codes are skipped. `local_codes` adds a trial's
    site-specific codes (system, code) -> analyte name.
    """
    by_code = {**analyte_by_code(), **(local_codes or {})}
    # Most of a long record is codes no criterion reads: a set lookup on the raw code
    # skips them before any Coding is built (measured in docs/performance.md).
    known_codes = frozenset(code for _, code in by_code)

    def read(resource: dict[str, Any]) -> list[LabResult]:
        # The code test first: most Observations of a long record are codes no
        # criterion reads, and are passed over before anything else is read.
        components = element(resource, "component", list) if "component" in resource else None
        if not components:  # the usual Observation, one result: no list of parts to build
            if not _may_match(resource.get("code"), known_codes) or status_of(resource) not in COUNTED_STATUSES:
                return []
            found = result_of(resource, resource)
            return [found] if found is not None else []
        matching = [part for part in (resource, *components) if _may_match(part.get("code"), known_codes)]
        if not matching or status_of(resource) not in COUNTED_STATUSES:
            return []
        return [found for part in matching if (found := result_of(resource, part)) is not None]

    def result_of(resource: dict[str, Any], part: dict[str, Any]) -> LabResult | None:
        if _no_result(part):
            return None
        for code in codings_of(part.get("code")):
            analyte = by_code.get((code.system, code.code))
            if analyte is not None:
                return _result(analyte, resource, part, code)
        return None

    results, unreadable = read_each(observations, read)
    found: dict[str, list[LabResult]] = {}
    for result in results:
        found.setdefault(result.analyte, []).append(result)
    for group in found.values():
        group.sort(key=chronological)
    for analyte in analytes().values():
        joined = [r for member in analyte.includes for r in found.get(member, ())]
        if joined:
            found[analyte.name] = sorted(joined, key=chronological)
    return found, unreadable
