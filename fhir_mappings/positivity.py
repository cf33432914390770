"""Whether a qualitative (or titer, or quantitative-with-range) result is positive.

Criteria ground rules: where a result carries an interpretation, the interpretation
decides; equivocal or indeterminate results count as neither positive nor negative.
Portfolio G12 adds cut-offs for a quantitative result with no interpretation (hCG:
below 5 m[IU]/mL negative, from 25 positive, between equivocal), given by the trial.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from fhir_mappings.censored import decides
from fhir_mappings.codes import SNOMED
from fhir_mappings.labs import LabResult, LabValue
from fhir_mappings.terminology import read_yaml
from fhir_mappings.units import UnitError, convert


class Positivity(enum.Enum):
    """How one result reads."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    NEITHER = "equivocal or indeterminate"
    NO_SIGNAL = "no interpretable value"


@dataclass(frozen=True)
class Cutoffs:
    """How a quantity reads when no interpretation says: below `negative_below` negative,
    from `positive_from` positive, in between neither (values in `unit`)."""

    unit: str
    negative_below: Decimal
    positive_from: Decimal

    def read(self, value: LabValue) -> Positivity:
        """The polarity of a quantity (a censored one only when its bound decides)."""
        assert value.quantity is not None
        try:
            amount = convert(value.quantity, value.unit, self.unit)
        except UnitError:
            return Positivity.NO_SIGNAL
        if decides(">=", value.comparator, amount, self.positive_from):
            return Positivity.POSITIVE
        if decides("<", value.comparator, amount, self.negative_below):
            return Positivity.NEGATIVE
        return Positivity.NEITHER


@dataclass(frozen=True)
class PositivityRules:
    """The code and phrase lists of positivity.yaml."""

    interpretation: dict[str, Positivity]
    coded_values: dict[str, Positivity]
    phrases: tuple[tuple[re.Pattern[str], Positivity], ...]


@cache
def rules() -> PositivityRules:
    """Load positivity.yaml once."""
    data = read_yaml("positivity.yaml")
    kinds = {"positive": Positivity.POSITIVE, "negative": Positivity.NEGATIVE, "neither": Positivity.NEITHER}

    def table(section: str) -> dict[str, Positivity]:
        return {str(code).upper(): kinds[k] for k, codes in data[section].items() for code in codes}

    # Order matters for text: negative phrases first, then neither, then positive.
    phrases = tuple(
        (re.compile(rf"\b{re.escape(phrase.lower())}\b"), kinds[k])
        for k in ("negative", "neither", "positive")
        for phrase in data["text"][k]
    )
    return PositivityRules(table("interpretation"), table("coded_values"), phrases)


# Dashes that reports type in place of a hyphen ("non‑reactive" with U+2011, en dash...).
_DASHES = str.maketrans({dash: "-" for dash in "\u2010\u2011\u2012\u2013\u2014\u2212"})


def _from_text(text: str) -> Positivity:
    lowered = text.lower().translate(_DASHES)
    for phrase, kind in rules().phrases:
        if phrase.search(lowered):
            return kind
    return Positivity.NO_SIGNAL


def classify(
    result: LabResult,
    titer_positive_at: Decimal | None = None,
    quantity_means_detected: bool = False,
    cutoffs: Cutoffs | None = None,
) -> Positivity:
    """Read one result as positive, negative, neither, or no signal.

    `titer_positive_at` is the titer denominator from which a titer is positive (1:80
    gives 80); `quantity_means_detected` reads any reported amount (without a `<`
    comparator) as detected, as for a viral load; `cutoffs` read a quantity that no
    interpretation or coded value reads (G12's quantitative hCG).
    """
    table = rules()
    value = result.value
    decisive = [table.interpretation[c] for c in value.interpretations if c in table.interpretation]
    if decisive:
        return decisive[0] if len(set(decisive)) == 1 else Positivity.NEITHER
    for coding in value.value_codings:  # SNOMED CT qualifier values; other systems' codes are read by their words
        if coding.system in (SNOMED, "") and coding.code.upper() in table.coded_values:
            return table.coded_values[coding.code.upper()]
    if cutoffs is not None and value.quantity is not None and not value.problem:
        return cutoffs.read(value)
    if value.titer is not None and titer_positive_at is not None:
        below = value.titer_comparator in ("<", "<=")
        return Positivity.POSITIVE if not below and value.titer >= titer_positive_at else Positivity.NEGATIVE
    if value.text:
        kind = _from_text(value.text)
        if kind is not Positivity.NO_SIGNAL:
            return kind
    if value.quantity is not None and not value.problem:  # a quantity of unreadable unit says nothing
        return _from_quantity(value, quantity_means_detected)
    return Positivity.NO_SIGNAL


def _from_quantity(value: LabValue, quantity_means_detected: bool) -> Positivity:
    """A quantity read against its reference range: above the high end positive, at or below
    it negative; a censored one only when its bound decides ("<=30" with a high end of 30 is
    negative, ">=30" is neither, "<500" is neither). Without a range, no signal. For a viral
    load (`quantity_means_detected`), any amount is detected and a "<" one is not."""
    assert value.quantity is not None
    if quantity_means_detected:
        if value.comparator in ("<", "<="):
            return Positivity.NEGATIVE
        return Positivity.POSITIVE if value.quantity > 0 else Positivity.NEGATIVE
    if value.ref_high is None or value.ref_high_problem:
        return Positivity.NO_SIGNAL
    try:
        high = value.ref_high
        if value.ref_high_unit != value.unit:
            high = convert(value.ref_high, value.ref_high_unit, value.unit or "")
    except UnitError:
        return Positivity.NO_SIGNAL
    above = decides(">", value.comparator, value.quantity, high)
    return Positivity.NEITHER if above is None else Positivity.POSITIVE if above else Positivity.NEGATIVE
