"""Which of a patient's drug records a part reads: the members of its drug groups, and
whether each counts under its route restriction (portfolio rule G3).

The members of a set of groups are worked out once per patient (`Facts.memo`), since
many criteria of several trials ask for the same groups. A route restriction names the route classes that count (`systemic`, `parenteral`, `iv`,
`oral`: routes.yaml `route_rules`), or none (`any`). Each record is then `counts`,
`ignored` (another class: a cream for a systemic rule, an oral tablet for an IV rule) or
`unknown` (its route class is unknown: a route-restricted part is unknown for it, never
met). `unknown_counts` reads an unknown class as counting, for a criterion whose own page
excludes only what is known to be local.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from fhir_mappings.facts import Facts
from fhir_mappings.medication_routes import CLASS_NAMES, UNKNOWN, route_tables
from fhir_mappings.medications import Exposure

ANY = "any"
RouteStatus = Literal["counts", "ignored", "unknown"]


def route_rule_names() -> frozenset[str]:
    """Every restriction a trial file may name: `any` and those of routes.yaml."""
    return frozenset({ANY, *route_tables().rules})


@dataclass(frozen=True)
class RouteRule:
    """A route restriction: its name, and whether an unknown route class counts."""

    name: str = ANY
    unknown_counts: bool = False

    def status(self, exposure: Exposure) -> RouteStatus:
        """How one record counts under the restriction."""
        if self.name == ANY:
            return "counts"
        if exposure.route_class == UNKNOWN:
            return "counts" if self.unknown_counts else "unknown"
        return "counts" if exposure.route_class in route_tables().rules[self.name] else "ignored"

    def describe(self) -> str:
        """The restriction as a reason names it ("systemic", "IV")."""
        return CLASS_NAMES.get(self.name, self.name)


def unknown_route_text(exposure: Exposure, rule: RouteRule) -> str:
    """Why a record of unknown route class leaves a restricted part open."""
    return f"route class unknown ({exposure.route_basis}): confirm whether it was {rule.describe()}"


def group_members(facts: Facts, groups: Iterable[str]) -> list[Exposure]:
    """The patient's exposures to an ingredient of any of the groups, in record order."""
    wanted = frozenset(groups)
    key = ("group_members", wanted)
    found = facts.memo.get(key)
    if found is None:
        found = facts.memo[key] = [e for e in facts.exposures if not e.groups.isdisjoint(wanted)]
    return found
