"""Parameters shared by the evaluator kinds: the look-back window (portfolio G1).

Names of value sets, drug groups and analytes are checked at start-up by the loader,
through the parameter naming convention (`cds.trials.parameters`): a parameter holding
them is named `valuesets`, `analyte(s)` … or ends in `_valuesets`, `_analyte(s)` ….
"""

from __future__ import annotations

from pydantic import model_validator

from cds.engine.kinds.registry import Params
from cds.engine.windows import Window, WindowUnit


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
