"""What the drug kinds share: their parameters (drug groups, route restriction, dose
policy) and how a drug record is shown as evidence.

Group and route names are checked when a trial file is loaded: a misspelt group would
otherwise match no record and turn an exclusion into "no record".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator

from cds.engine.daily_doses import DosePolicy, SameIngredient
from cds.engine.drugs import RouteRule, route_rule_names
from cds.engine.kinds.labs import fmt
from cds.engine.kinds.registry import Params
from cds.engine.outcome import Evidence
from fhir_mappings.drugs import drug_catalog
from fhir_mappings.medications import MEDICATION_RECORD_TYPES, Exposure

MEDICATION_TYPES = (*MEDICATION_RECORD_TYPES, "Medication")


def _known_group(name: str) -> str:
    if name not in drug_catalog().group_names:
        raise ValueError(f"unknown drug group {name!r}")
    return name


def _known_route(name: str) -> str:
    known = route_rule_names()
    if name not in known:
        raise ValueError(f"unknown route {name!r} (one of {', '.join(sorted(known))})")
    return name


DrugGroupName = Annotated[str, AfterValidator(_known_group)]
RouteName = Annotated[str, AfterValidator(_known_route)]


class RouteParams(Params):
    """A route restriction (portfolio G3): `route` names the classes that count (`any`,
    `systemic`, `parenteral`, `iv`, `oral`); a record of unknown route class makes the
    part unknown, unless `route_unknown: counts` (then only a known other class, such as a
    cream for a systemic rule, is left out)."""

    route: RouteName = "any"
    route_unknown: Literal["unknown", "counts"] = "unknown"

    @property
    def route_rule(self) -> RouteRule:
        """The restriction every member of the groups is read under."""
        return RouteRule(self.route, self.route_unknown == "counts")


class DoseParams(RouteParams):
    """Groups whose daily doses a part reads (portfolio G4).

    `prednisone_equivalent`: glucocorticoid doses in prednisone-equivalent mg (one without
    a factor: unknown). `same_ingredient`: of several records of one ingredient on a day,
    the latest start gives the dose (`latest_start`, G4), or the highest (`highest`, the
    ground rules' reading for a high-dose course). `as_needed: unknown` (G4) makes a dose
    taken as needed unknown; `counted` counts it as written.
    """

    groups: list[DrugGroupName]
    label: str
    prednisone_equivalent: bool = False
    same_ingredient: SameIngredient = "latest_start"
    as_needed: Literal["unknown", "counted"] = "unknown"

    @property
    def policy(self) -> DosePolicy:
        """How the records make a day's dose."""
        return DosePolicy(self.route_rule, self.same_ingredient, self.as_needed == "unknown", self.prednisone_equivalent)


def day_text(first: date | None, last: date | None) -> str:
    """A day, or a range of days when a partial date leaves it open."""
    return str(first) if first == last else f"{first}..{last}"


def exposure_evidence(exposure: Exposure) -> Evidence:
    """A drug record as evidence: its label, period and daily dose."""
    end = "ongoing" if exposure.end is None else day_text(exposure.end_earliest, exposure.end)
    span = f"{day_text(exposure.start, exposure.start_latest)} to {end}"
    dose = f", {fmt(exposure.daily_mg)} mg/day" if exposure.daily_mg is not None else ""
    return Evidence(exposure.reference, exposure.code, f"{exposure.label} ({span}{dose})", exposure.start)


def evidence_of(exposures: Iterable[Exposure]) -> tuple[Evidence, ...]:
    """Each record once, in order."""
    return tuple(dict.fromkeys(exposure_evidence(e) for e in exposures))


def names_of(exposures: Iterable[Exposure]) -> str:
    """The ingredients, each once."""
    return ", ".join(dict.fromkeys(e.ingredient for e in exposures))
