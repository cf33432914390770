"""Result polarity: `serology` (positive or negative results) and `titer` (a titer bound).

Ground rules and portfolio G12: where a result carries an interpretation it decides;
equivocal, indeterminate and inconclusive results are neither positive nor negative.
Serology is open-world: no result is unknown, unless the part says that having no
result is itself an answer (`no_result`, for closed-world history such as "ever HIV
positive"). Records dated after D are ignored (G1).

`select`:
- `any_ever`: any result on or before D, however old (G2 "ever"; an undated result counts);
- `any_within`: any result in a window ending on D (an undated one may be outside it);
- `most_recent`: the latest result, all time; with `skip_neutral` the latest result that
  is positive or negative (G12 "most recent" serology skips neutral results).

`skip_neutral` leaves out results that are neither positive nor negative (equivocal,
indeterminate), whatever the select: for `any_within` and `any_ever` a part whose only
results are neutral is then as one with no result, naming them, and `no_result` says
what that is (an equivocal hCG alone, where a page reads all but a positive one as not
met). A result that cannot be read is never left out: it might be the positive one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import model_validator

from cds.engine.context import EvaluationContext
from cds.engine.kinds.labs import evidence_of, fmt, over_recent, recent_results
from cds.engine.kinds.params import WindowParams
from cds.engine.kinds import inputs
from cds.engine.kinds.registry import Params, kind
from cds.engine.logic import Tri
from cds.engine.outcome import Outcome
from cds.engine.windows import within
from fhir_mappings.labs import LabResult, chronological, members
from fhir_mappings.positivity import Cutoffs, Positivity, classify


class QuantityCutoffs(Params):
    """G12's reading of a quantity that no interpretation reads: below `negative_below`
    negative, from `positive_from` positive, between them equivocal (in `unit`)."""

    unit: str
    negative_below: Decimal
    positive_from: Decimal

    @model_validator(mode="after")
    def _ordered(self) -> QuantityCutoffs:
        if self.negative_below > self.positive_from:
            raise ValueError("negative_below must not exceed positive_from")
        return self


class NoResult(Params):
    """What the part is when no result of its analytes exists in its window."""

    status: Literal["not_met", "unknown"]
    reason: str


class SerologyParams(WindowParams):
    """Positivity of one or more analytes: any ever, the most recent, or any in a window.

    `titer_positive_at` gives, per analyte, the titer denominator from which a titer is
    positive (ANA 1:80 -> 80); an analyte without one decides titers only by
    interpretation or text. `quantity_means_detected` (all analytes, or the listed ones)
    reads any amount without a `<` comparator as detected (a viral load).
    `positive_only_analytes` count only by their positive results (a negative IgM
    says nothing about past infection). `polarity: negative` makes the part met by a
    negative result instead (a negative screening test).
    """

    analytes: list[str]
    label: str
    select: Literal["any_ever", "most_recent", "any_within"]
    titer_positive_at: dict[str, Decimal] = {}
    quantity_means_detected: bool | list[str] = False
    quantitative: QuantityCutoffs | None = None
    skip_neutral: bool = False
    positive_only_analytes: list[str] = []
    polarity: Literal["positive", "negative"] = "positive"
    no_result: NoResult | None = None

    @model_validator(mode="after")
    def _window_fits_select(self) -> SerologyParams:
        if (self.select == "any_within") != (self.window is not None):
            raise ValueError("select any_within needs a window (within_days, ...); the other selects take none")
        read = set(self.analytes) | {member for name in self.analytes for member in members(name)}
        listed = self.quantity_means_detected if isinstance(self.quantity_means_detected, list) else []
        stray = [name for name in [*listed, *self.positive_only_analytes] if name not in read]
        if stray:
            raise ValueError(f"{stray} are not among the analytes the part reads")
        return self

    def analytes_read(self) -> frozenset[str]:
        """Every analyte whose results are read."""
        return frozenset(self.analytes)


class _Reader:
    """Reads each result of a part as positive, negative, neither or no signal."""

    def __init__(self, params: SerologyParams) -> None:
        self.params = params
        self.asked = {leaf: name for name in params.analytes for leaf in members(name)}
        detected = params.quantity_means_detected
        listed = detected if isinstance(detected, list) else []
        self.detected = {leaf for name in listed for leaf in members(name)}
        self.all_detected = detected is True
        self.only_positive = {leaf for name in params.positive_only_analytes for leaf in members(name)}
        cut = params.quantitative
        self.cutoffs = Cutoffs(cut.unit, cut.negative_below, cut.positive_from) if cut else None

    def __call__(self, result: LabResult) -> Positivity:
        asked = self.asked.get(result.analyte, result.analyte)
        titer_at = self.params.titer_positive_at.get(asked, self.params.titer_positive_at.get(result.analyte))
        detected = self.all_detected or result.analyte in self.detected
        return classify(result, titer_at, detected, self.cutoffs)

    def kept(self, result: LabResult) -> bool:
        """Whether the result takes part: `positive_only_analytes` only when positive."""
        return result.analyte not in self.only_positive or self(result) is Positivity.POSITIVE


@kind("serology", SerologyParams, reads=("Observation",), has_input=inputs.lab_results)
def serology(params: SerologyParams, ctx: EvaluationContext) -> Outcome:
    """Met when the results show the polarity asked for, per `select`."""
    read = _Reader(params)
    results = [r for a in params.analytes for r in ctx.facts.labs.get(a, ()) if read.kept(r)]
    if len(params.analytes) > 1:  # each analyte's results are in order already (extract_lab_results)
        results.sort(key=chronological)
    wanted, opposite = _polarities(params)
    if params.select == "most_recent":
        if params.skip_neutral:
            results = [r for r in results if read(r) in (Positivity.POSITIVE, Positivity.NEGATIVE) or r.problem]
        found = recent_results(results, date.min, ctx.as_of)
        return over_recent(found, lambda r: _most_recent(params, r, read(r)), _missing(params, ""), params.label)
    first, span = date.min, ""
    window = params.window
    if window is not None:
        first = window.first_day(ctx.as_of)
        # A window of 0 days is D alone ("a test dated the screening visit"): say the day.
        span = f" on {ctx.as_of.isoformat()}" if first == ctx.as_of else f" in the last {window.describe()}"
    sure, perhaps = _in_window(results, first, ctx.as_of, undated_count=params.select == "any_ever")
    if not sure and not perhaps:
        return _missing(params, span)
    kinds = {id(r): read(r) for r in (*sure, *perhaps)}
    hits = [r for r in sure if kinds[id(r)] is wanted]
    if hits:
        shown = ", ".join(f"{r.describe()} on {r.dated}" for r in hits[-3:])
        return Outcome(Tri.MET, f"{params.label} {params.polarity}{span}: {shown}", tuple(evidence_of(r) for r in hits))
    maybe_hits = [r for r in perhaps if kinds[id(r)] is wanted]
    if maybe_hits:
        shown = ", ".join(f"{r.describe()} dated {r.dated}" for r in maybe_hits[-3:])
        return Outcome(
            Tri.UNKNOWN,
            f"{params.label} {params.polarity} on a date that may fall outside the window{span or ' (up to ' + ctx.as_of.isoformat() + ')'}: {shown}",
            tuple(evidence_of(r) for r in maybe_hits),
        )
    unreadable = [r for r in (*sure, *perhaps) if r.problem and kinds[id(r)] is Positivity.NO_SIGNAL]
    others = [r for r in sure if kinds[id(r)] is opposite]
    other = opposite.value
    if others and unreadable:
        return Outcome(Tri.UNKNOWN, f"{params.label} {other}{span} except unreadable result(s): {unreadable[-1].problem}", tuple(evidence_of(r) for r in unreadable[-3:]))
    if others:
        return Outcome(Tri.NOT_MET, f"{params.label} {other}{span} ({len(others)} result(s), none {params.polarity})", tuple(evidence_of(r) for r in others[-3:]))
    if not sure:
        shown = ", ".join(f"{r.describe()} dated {r.dated}" for r in perhaps[-3:])
        return Outcome(Tri.UNKNOWN, f"no {params.label} result surely dated{span or ' on or before ' + ctx.as_of.isoformat()}: {shown}", tuple(evidence_of(r) for r in perhaps[-3:]))
    if params.skip_neutral and not unreadable:
        return _missing(params, span, neutral=sure)
    return Outcome(Tri.UNKNOWN, f"{params.label} results{span} are neither positive nor negative", tuple(evidence_of(r) for r in sure[-3:]))


def _polarities(params: SerologyParams) -> tuple[Positivity, Positivity]:
    """(the polarity that meets the part, the one that does not)."""
    if params.polarity == "negative":
        return Positivity.NEGATIVE, Positivity.POSITIVE
    return Positivity.POSITIVE, Positivity.NEGATIVE


def _missing(params: SerologyParams, span: str, neutral: Sequence[LabResult] = ()) -> Outcome:
    """The part with no result: unknown (open world, no data) unless it says otherwise;
    `neutral` results it left out (`skip_neutral`) are named, and are its evidence."""
    evidence = tuple(evidence_of(r) for r in neutral[-3:])
    left_out = ""
    if neutral:
        shown = ", ".join(f"{r.describe()} on {r.dated}" for r in neutral[-3:])
        left_out = f" ({params.label} neither positive nor negative, left out: {shown})"
    if params.no_result is not None and params.no_result.status == "not_met":
        return Outcome(Tri.NOT_MET, params.no_result.reason + left_out, evidence)
    reason = params.no_result.reason if params.no_result is not None else f"no {params.label} result{span}"
    return Outcome(Tri.UNKNOWN, reason + left_out, evidence, no_data=not neutral)


def _in_window(results: Sequence[LabResult], first: date, last: date, undated_count: bool) -> tuple[list[LabResult], list[LabResult]]:
    """(results surely dated in [first, last], results that may be): a partial date may
    straddle an edge; a result with no date surely counts only where `undated_count`."""
    sure: list[LabResult] = []
    perhaps: list[LabResult] = []
    for result in results:
        if result.when is None:
            (sure if undated_count else perhaps).append(result)
            continue
        verdict = within(result.when, first, last)
        if verdict is Tri.MET:
            sure.append(result)
        elif verdict is Tri.UNKNOWN:
            perhaps.append(result)
    return sure, perhaps


def _most_recent(params: SerologyParams, result: LabResult, kind_: Positivity) -> Outcome:
    """The most recent result's polarity as the part's status."""
    evidence = (evidence_of(result),)
    wanted, opposite = _polarities(params)
    if kind_ in (wanted, opposite):
        status = Tri.MET if kind_ is wanted else Tri.NOT_MET
        return Outcome(status, f"most recent {params.label} {kind_.value} ({result.describe()}, {result.dated})", evidence)
    return Outcome(Tri.UNKNOWN, f"most recent {params.label} is {kind_.value} ({result.describe()}, {result.dated})", evidence)


class TiterParams(Params):
    """A titer of at least 1:`at_least` in any result on or before D (the titer decides
    over an interpretation); results with no titer decide only when negative."""

    analytes: list[str]
    label: str
    at_least: Decimal

    def analytes_read(self) -> frozenset[str]:
        """Every analyte whose results are read."""
        return frozenset(self.analytes)


def _titer_reading(result: LabResult, at_least: Decimal) -> tuple[Tri, str]:
    """(MET: the titer reaches the bound; NOT_MET: below it, or a negative result;
    UNKNOWN: cannot tell), with what was read.

    Portfolio titer parsing (the ANA titer criterion of the portfolio pages): "> 1:n" counts
    as ≥ n, "< 1:n" as below n.
    """
    value = result.value
    if value.titer is not None:
        titer, comparator = value.titer, value.titer_comparator or ""
        shown = f"{comparator}1:{fmt(titer)}"
        if comparator in ("<", "<="):
            below = titer <= at_least if comparator == "<" else titer < at_least
            return (Tri.NOT_MET if below else Tri.UNKNOWN), shown
        if titer >= at_least:
            return Tri.MET, shown
        return (Tri.UNKNOWN if comparator in (">", ">=") else Tri.NOT_MET), shown
    polarity = classify(result)
    if polarity is Positivity.NEGATIVE:
        return Tri.NOT_MET, f"{result.describe()} (negative)"
    if polarity is Positivity.POSITIVE:
        return Tri.UNKNOWN, f"{result.describe()} (positive without a titer)"
    return Tri.UNKNOWN, f"{result.describe()} ({polarity.value})"


@kind("titer", TiterParams, reads=("Observation",), has_input=inputs.lab_results)
def titer(params: TiterParams, ctx: EvaluationContext) -> Outcome:
    """Met by any titer ≥ 1:at_least; not_met when results exist and each is negative or
    below it; else unknown (positive without a titer, equivocal only, no result)."""
    results = [r for a in params.analytes for r in ctx.facts.labs.get(a, ())]
    results.sort(key=chronological)
    sure, perhaps = _in_window(results, date.min, ctx.as_of, undated_count=True)
    bound = f"1:{fmt(params.at_least)}"
    if not sure and not perhaps:
        return Outcome(Tri.UNKNOWN, f"no {params.label} result", no_data=True)
    readings = [(r, *_titer_reading(r, params.at_least)) for r in sure]
    meets = [(r, shown) for r, verdict, shown in readings if verdict is Tri.MET]
    if meets:
        shown = ", ".join(f"{text} on {r.dated}" for r, text in meets[-3:])
        return Outcome(Tri.MET, f"{params.label} ≥ {bound}: {shown}", tuple(evidence_of(r) for r, _ in meets))
    undecided = [(r, shown) for r, verdict, shown in readings if verdict is Tri.UNKNOWN]
    undecided += [(r, f"{r.describe()} dated {r.dated}, perhaps after {ctx.as_of.isoformat()}") for r in perhaps]
    if undecided:
        shown = "; ".join(f"{text} on {r.dated}" for r, text in undecided[-3:])
        return Outcome(Tri.UNKNOWN, f"{params.label}: no titer shown ≥ {bound}, and cannot tell from {shown}", tuple(evidence_of(r) for r, _ in undecided[-3:]))
    shown = ", ".join(f"{text} on {r.dated}" for r, _, text in readings[-3:])
    return Outcome(Tri.NOT_MET, f"{params.label} negative or below {bound} ({len(readings)} result(s)): {shown}", tuple(evidence_of(r) for r, _, _ in readings[-3:]))
