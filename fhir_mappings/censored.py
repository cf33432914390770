"""Comparing a value that may be censored (`<5`, `>=8`: valueQuantity.comparator, or a
censored valueString) with a threshold.

Ground rules, "Lab results": a censored value is a bound, not a number. It decides a
comparison only when every value it admits gives the same answer; the engine's thresholds
and a result's polarity against its reference range both compare this way.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Literal

Comparator = Literal["<", "<=", ">", ">="]
COMPARE: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def decides(comparator: str, censor: str | None, value: Decimal, threshold: Decimal) -> bool | None:
    """Whether `value comparator threshold` holds; for a censored value, None when the values
    it admits answer differently.

    The censor admits a ray of values (below or above its bound, the bound itself only for
    `<=` and `>=`). Beyond the threshold on that side, every value answers alike; on the
    threshold itself too, unless the bound is a value the censor admits and the comparator
    answers it otherwise: "<=8" against "< 8", ">=25" against "<= 25" cannot decide.
    """
    if censor is None:
        return COMPARE[comparator](value, threshold)
    below = censor in ("<", "<=")
    same_side = comparator in ("<", "<=") if below else comparator in (">", ">=")
    if value < threshold if below else value > threshold:
        return same_side
    if value != threshold:
        return None
    bound_admitted = COMPARE[censor](value, threshold)
    return same_side if not bound_admitted or COMPARE[comparator](value, threshold) is same_side else None
