"""UCUM unit conversion with exact decimal arithmetic.

Thresholds sit on boundaries (8.5 g/dL = 85 g/L, 2.5 mg/dL vs 221 µmol/L, exactly
2×ULN), so conversions use `Decimal`, never binary floats. A unit that cannot be
converted is a `UnitError` whose message becomes an `unknown` reason; it never
escapes to HTTP.
"""

from __future__ import annotations

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
        """The UCUM code for a unit as sent, or None when it is not known."""
        if unit is None:
            return None
        text = unit.strip()
        if text in self.groups_of:
            return text
        if text in self.aliases:
            return self.aliases[text]
        return self.lowercase.get(text.lower())


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
