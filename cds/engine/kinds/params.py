"""Parameter types shared by the evaluator kinds: names checked at start-up, and windows.

A trial file that names a value set or an analyte the data files do not define is
rejected when it is loaded (pydantic validation, so the loader's message names the
criterion and the key), never on a patient's request.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, ValidationInfo, model_validator

from cds.engine.kinds.registry import Params
from cds.engine.windows import Window, WindowUnit
from fhir_mappings.labs import analytes
from fhir_mappings.terminology import valueset


def _known_valueset(name: str) -> str:
    valueset(name)  # raises ValueSetError (a ValueError) naming it
    return name


def _known_analyte(name: str, info: ValidationInfo) -> str:
    local = (info.context or {}).get("local_analytes", frozenset())
    if name not in analytes() and name not in local:
        raise ValueError(f"unknown analyte {name!r} (neither in labs.yaml nor among the trial's local_analytes)")
    return name


ValueSetName = Annotated[str, AfterValidator(_known_valueset)]
AnalyteName = Annotated[str, AfterValidator(_known_analyte)]


class WindowParams(Params):
    """A look-back window ending on D: at most one of `within_days`, `within_weeks`,
    `within_months`, `within_years`; `less_than` makes it (D − N, D] (portfolio G1)."""

    within_days: int | None = None
    within_weeks: int | None = None
    within_months: int | None = None
    within_years: int | None = None
    less_than: bool = False

    @model_validator(mode="after")
    def _one_window(self) -> WindowParams:
        given = [n for n in (self.within_days, self.within_weeks, self.within_months, self.within_years) if n is not None]
        if len(given) > 1:
            raise ValueError("give at most one of within_days, within_weeks, within_months, within_years")
        if any(n < 0 for n in given):
            raise ValueError("a window cannot be negative")
        if self.less_than and not given:
            raise ValueError("less_than needs a window (within_days, _weeks, _months or _years)")
        return self

    @property
    def window(self) -> Window | None:
        """The window, or None when the part has none (any date on or before D)."""
        units: tuple[tuple[int | None, WindowUnit], ...] = (
            (self.within_days, "days"),
            (self.within_weeks, "weeks"),
            (self.within_months, "months"),
            (self.within_years, "years"),
        )
        for amount, unit in units:
            if amount is not None:
                return Window(amount, unit, self.less_than)
        return None
