"""UCUM unit conversion with exact decimal arithmetic.

Thresholds sit on boundaries (8.5 g/dL = 85 g/L, 2.5 mg/dL vs 221 µmol/L, exactly
2×ULN), so conversions use `Decimal`, never binary floats. A unit that cannot be
converted is a `UnitError` whose message becomes an `unknown` reason; it never
escapes to HTTP.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache

from fhir_mappings.terminology import read_yaml


class UnitError(ValueError):
    """A unit that is not known, or not convertible to the unit asked for."""


@dataclass(frozen=True)
class Equivalence:
    """An analyte-specific bridge between two groups: 1 `from_unit` = `factor` `to_unit`."""

    from_unit: str
    to_unit: str
    factor: Decimal


@dataclass(frozen=True)
class UnitTable:
    """Factors to the base unit of each group, and the spellings labs send."""

    groups_of: dict[str, tuple[str, ...]]
    factor_in_group: dict[tuple[str, str], Decimal]
    aliases: dict[str, str]
    lowercase: dict[str, str]

    def normalize(self, unit: str | None) -> str | None:
        """The UCUM code for a unit as sent, or None when it is not known.

        A unit the table does not know is tried again without its annotations, which UCUM
        gives no meaning (`mg/g{creat}` is mg/g); a table unit whose annotation is part of
        it (`mL/min/{1.73_m2}`) is found as written first.
        """
        if unit is None:
            return None
        text = unit.strip()
        if text in self.groups_of:
            return text
        if text in self.aliases:
            return self.aliases[text]
        known = self.lowercase.get(text.lower())
        if known is None and "{" in text:
            bare = _ANNOTATION.sub("", text)
            return self.normalize(bare) if bare and bare != text else None
        return known


# A UCUM annotation (`{cells}`, `{tbl}`): a comment that does not change the unit.
_ANNOTATION = re.compile(r"\{[^{}]*\}")


@cache
def _ucum_spellings() -> dict[str, str]:
    """Every case-sensitive UCUM spelling of the table's units -> the table's code.

    UCUM (c/s) writes the litre `L` or `l` and the power of ten `10*` or `10^`; these
    are the only other spellings of a unit that are still valid UCUM. `MG/DL` (UCUM's
    case-insensitive form), `gm/dL`, `µmol/L` or `K/uL` are not among them.
    """
    spellings: dict[str, str] = {}
    for unit in unit_table().groups_of:
        parts = re.split(r"(L|10\*)", unit)
        choices = [("L", "l") if p == "L" else ("10*", "10^") if p == "10*" else (p,) for p in parts]
        for variant in itertools.product(*choices):
            spellings.setdefault("".join(variant), unit)
    return spellings


@lru_cache(maxsize=1024)
def exact_ucum(text: str) -> str | None:
    """The table's UCUM code for a unit written as case-sensitive UCUM, else None.

    Ground rules, "Lab results": a valueQuantity with no `code` is read by its `unit` only
    when that is a valid UCUM expression (`mg/dL` and `mg/dl` are, `gm/dL` and `MG/DL`
    are not). Annotations are dropped, as UCUM gives them no meaning; a unit that is
    valid UCUM but none the table converts (`K/uL`, kelvin per microlitre) is None too,
    so it can never be read as another unit.
    """
    spellings = _ucum_spellings()
    written = text.strip()
    if written in spellings:  # a unit whose annotation is part of it (mL/min/{1.73_m2})
        return spellings[written]
    bare = _ANNOTATION.sub("", written)
    return spellings.get(bare or "1")


@cache
def dimensionless_spellings() -> frozenset[str]:
    """The ways a value with no unit of measure is written (units.yaml `dimensionless`)."""
    return frozenset(str(u) for u in read_yaml("units.yaml").get("dimensionless") or ())


def is_dimensionless(unit: str | None) -> bool:
    """Whether a quantity's unit says nothing about its scale: none, `1` or `{ratio}`."""
    return unit is None or not unit.strip() or unit.strip() in dimensionless_spellings()


def same_kind(from_unit: str | None, to_unit: str) -> bool:
    """Whether two units convert by UCUM alone, without an analyte's bridge."""
    table = unit_table()
    source, target = table.normalize(from_unit), table.normalize(to_unit)
    return source is not None and target is not None and _same_group_factor(source, target) is not None


@cache
def _time_units() -> dict[str, str]:
    """Word or code, lower-cased -> UCUM code of time, from units.yaml `age_units`."""
    return {str(word).lower(): code for code, words in read_yaml("units.yaml")["age_units"].items() for word in words}


def time_unit(code: str | None, unit: str | None) -> str | None:
    """The UCUM code of time (a, mo, wk, d) an Age is counted in: its code, else its unit words."""
    for text in (code, unit):
        if isinstance(text, str) and text.strip().lower() in _time_units():
            return _time_units()[text.strip().lower()]
    return None


@cache
def unit_table() -> UnitTable:
    """Load units.yaml once."""
    data = read_yaml("units.yaml")
    groups_of: dict[str, tuple[str, ...]] = {}
    factor_in_group: dict[tuple[str, str], Decimal] = {}
    for group, body in data["groups"].items():
        for unit, factor in body["units"].items():
            # A unit may sit in two groups ([IU]/L is both an enzyme activity and an
            # arbitrary unit); conversion tries each group the unit belongs to.
            groups_of[unit] = groups_of.get(unit, ()) + (group,)
            factor_in_group[(group, unit)] = Decimal(str(factor))
    aliases = {str(k): str(v) for k, v in (data.get("aliases") or {}).items()}
    lowercase = {u.lower(): u for u in groups_of}
    lowercase.update({a.lower(): u for a, u in aliases.items()})
    return UnitTable(groups_of, factor_in_group, aliases, lowercase)


def _same_group_factor(from_unit: str, to_unit: str) -> Decimal | None:
    table = unit_table()
    for group in table.groups_of.get(from_unit, ()):
        to_factor = table.factor_in_group.get((group, to_unit))
        if to_factor is not None:
            return table.factor_in_group[(group, from_unit)] / to_factor
    return None


def convert(
    value: Decimal,
    from_unit: str | None,
    to_unit: str,
    equivalences: tuple[Equivalence, ...] = (),
) -> Decimal:
    """Convert `value` from one unit to another, through an analyte equivalence if needed.

    :raise UnitError: the unit is missing, unknown, or of another kind of quantity.
    """
    for factor in _conversion(from_unit, to_unit, equivalences):
        value = value * factor
    return value


@lru_cache(maxsize=1024)
def _conversion(from_unit: str | None, to_unit: str, equivalences: tuple[Equivalence, ...]) -> tuple[Decimal, ...]:
    """The factors, applied in order, that take a value from one unit to another.

    Worked out once per distinct (units, equivalences): a record states the same few
    units on every result and every dose. A pair that cannot be converted raises
    each time (errors are not remembered).
    """
    table = unit_table()
    source = table.normalize(from_unit)
    target = table.normalize(to_unit)
    if source is None:
        raise UnitError(f"unit {from_unit!r} is not a known UCUM unit" if from_unit else "no unit given")
    if target is None:
        raise UnitError(f"unit {to_unit!r} is not a known UCUM unit")
    direct = _same_group_factor(source, target)
    if direct is not None:
        return (direct,)
    for eq in equivalences:
        for a, b, factor in ((eq.from_unit, eq.to_unit, eq.factor), (eq.to_unit, eq.from_unit, 1 / eq.factor)):
            into_a = _same_group_factor(source, a)
            out_of_b = _same_group_factor(b, target)
            if into_a is not None and out_of_b is not None:
                return (into_a, factor, out_of_b)
    raise UnitError(f"cannot convert {from_unit} to {to_unit}")
