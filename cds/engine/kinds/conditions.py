"""`condition`: a coded Condition, any status, active, or present inside a window.

Coded history is closed-world: no matching record is not_met ("no record of ...").
Each matching Condition is judged on its own as counting, not counting, or unknown:

- its start (onset, else recordedDate) must be on or before D; a partial date that
  may fall either side of D, or of a window's edge, is unknown for it (ground rules,
  "Partial dates");
- an unconfirmed, provisional or differential diagnosis counts for an exclusion, but
  for an inclusion it is unknown ("diagnosis not confirmed"), never met; the context
  says which kind of criterion the part serves (`EvaluationContext.serves`);
- with `stale_after_days`, a Condition that would count as active but started more than
  that many days before D is stale: unknown, whatever its clinicalStatus (a pregnancy
  lasts at most 42 weeks: the ground rules' pregnancy rule, portfolio G15);
- with `acute_within_days` (portfolio G15, acute infections), a Condition that is
  active only because it has no clinicalStatus and no abatement, and whose codes are in
  none of the `chronic_valuesets` (chronic infections), counts as active only when
  it started in [D − acute_within_days, D]; older, it is unknown ("confirm resolved"),
  and inside a window it is present on its date only, the reason noting it (G16).

The part is met when one Condition counts, else unknown when one is unknown, else the
`unknown_when` value sets are tried, else not_met.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import model_validator

from cds.engine.context import EvaluationContext
from cds.engine.kinds.params import WindowParams
from cds.engine.kinds import inputs
from cds.engine.kinds.registry import Params, kind
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence, Outcome
from cds.engine.windows import Window, before, on_or_before, overlaps
from fhir_mappings.conditions import ConditionFact
from fhir_mappings.dates import Span
from fhir_mappings.immutable import immutable
from fhir_mappings.terminology import Coding, coded_in


class UnknownWhen(Params):
    """A value set whose match makes the part unknown (not met), with the reason."""

    valueset: str
    reason: str


class ConditionParams(WindowParams):
    """Which codes, which clinical status, an optional look-back window, and the limits
    of time-limited conditions (an age after which an open one is stale; how long an
    acute one without status or end counts as active)."""

    valuesets: list[str]
    label: str
    status: Literal["any", "active"] = "any"
    stale_after_days: int | None = None
    acute_within_days: int | None = None
    chronic_valuesets: list[str] = []
    unknown_when: list[UnknownWhen] = []

    @model_validator(mode="after")
    def _limits_fit(self) -> ConditionParams:
        if self.stale_after_days is not None and (self.status != "active" or self.window is not None):
            raise ValueError("stale_after_days applies to status: active without within_days")
        if self.acute_within_days is not None and self.status != "active" and self.window is None:
            raise ValueError("acute_within_days applies to status: active, or to a window")
        if self.chronic_valuesets and self.acute_within_days is None:
            raise ValueError("chronic_valuesets needs acute_within_days")
        return self


@immutable
class Judged:
    """A matching Condition as it counts for one part: MET, or UNKNOWN with the reason;
    present over [start, end] (end None while ongoing)."""

    fact: ConditionFact
    coding: Coding
    status: Tri
    reason: str
    start: Span
    end: Span | None

    @property
    def evidence(self) -> Evidence:
        """The Condition as evidence: its code, statuses and date."""
        return condition_evidence(self.fact, self.coding)


def condition_evidence(fact: ConditionFact, coding: Coding) -> Evidence:
    """A Condition as evidence: its code, clinical and verification status, and date."""
    status = fact.clinical_status or "no clinical status"
    if not fact.confirmed:
        status += f", {fact.verification}"
    shown = f"{coding.display or coding.code} ({status})"
    start = fact.start
    if start is not None and not start.exact:
        shown += f", dated {start.text}"
    return Evidence(fact.reference, coding.token, shown, start.first if start else None)


def _acute_open(fact: ConditionFact, params: ConditionParams) -> bool:
    """Whether G15's acute rule applies: active only for want of a status or an end, and
    in none of the `chronic_valuesets`."""
    return (
        params.acute_within_days is not None
        and fact.clinical_status is None
        and not fact.abated
        and fact.valuesets.isdisjoint(params.chronic_valuesets)
    )


def _presence(fact: ConditionFact, as_of: date, date_only: bool = False) -> tuple[Span, Span | None]:
    """[start, end] the condition is present; end None while it is ongoing at D.

    From onset (else recordedDate; neither: D) to abatement if given; with no
    abatement, ongoing if active, else only its onset day (a single event); `date_only`
    keeps an open acute entry to its date (G16).
    """
    start = fact.start or Span.day(as_of)
    if fact.abatement is not None:
        return start, fact.abatement
    if fact.active and not date_only:
        return start, None
    return start, start


def _acute_reason(fact: ConditionFact, params: ConditionParams, perhaps: bool = False) -> str:
    when = f"on {fact.start.text}" if fact.start is not None else "without a date"
    qualifier = "perhaps more than" if perhaps else "more than"
    return (
        f"acute {params.label} recorded {when} with no status or end ({fact.reference}), "
        f"{qualifier} {params.acute_within_days} days ago: confirm resolved"
    )


def _in_window(fact: ConditionFact, params: ConditionParams, window: Window, ctx: EvaluationContext) -> tuple[Tri, list[str], tuple[Span, Span | None]]:
    """Whether the Condition is present in the window, why not sure, and its presence."""
    first = window.first_day(ctx.as_of)
    start, end = _presence(fact, ctx.as_of)
    present = overlaps(start, end, first, ctx.as_of)
    if _acute_open(fact, params):
        assert params.acute_within_days is not None
        if fact.start is None:
            return Tri.UNKNOWN, [_acute_reason(fact, params)], (start, end)
        old = before(fact.start, ctx.days_before(params.acute_within_days))
        if old is not Tri.NOT_MET:
            cut = _presence(fact, ctx.as_of, date_only=True)
            on_date = overlaps(*cut, first, ctx.as_of)
            present = on_date if old is Tri.MET or on_date is present else Tri.UNKNOWN
            start, end = cut if old is Tri.MET else (start, end)
    reasons = []
    if present is Tri.UNKNOWN:
        reasons.append(f"{fact.reference} dated {start.text} may or may not fall in the {window.describe()} before {ctx.as_of.isoformat()}")
    return present, reasons, (start, end)


def _judge(fact: ConditionFact, coding: Coding, params: ConditionParams, ctx: EvaluationContext) -> Judged | None:
    """How one matching Condition counts for the part; None when it does not count."""
    if params.status == "active" and not fact.active:
        return None
    window = params.window
    if window is not None:
        present, reasons, (start, end) = _in_window(fact, params, window, ctx)
        if present is Tri.NOT_MET:
            return None
    else:
        start, end = _presence(fact, ctx.as_of)
        reasons = []
        started = on_or_before(start, ctx.as_of)
        if started is Tri.NOT_MET:
            return None
        if started is Tri.UNKNOWN:
            reasons.append(f"{fact.reference} dated {start.text}, which may be after {ctx.as_of.isoformat()}")
        if params.stale_after_days is not None:
            reasons.extend(_staleness(fact, params, ctx))
        if _acute_open(fact, params):
            reasons.extend(_acute_age(fact, params, ctx))
    if not fact.confirmed and ctx.serves == "inclusion":
        reasons.append(f"diagnosis not confirmed ({fact.reference} is {fact.verification})")
    return Judged(fact, coding, Tri.UNKNOWN if reasons else Tri.MET, "; ".join(reasons), start, end)


def _acute_age(fact: ConditionFact, params: ConditionParams, ctx: EvaluationContext) -> list[str]:
    """Why an acute entry with no status or end cannot be taken as active, if it cannot."""
    assert params.acute_within_days is not None
    if fact.start is None:
        return [_acute_reason(fact, params)]
    old = before(fact.start, ctx.days_before(params.acute_within_days))
    if old is Tri.NOT_MET:
        return []
    return [_acute_reason(fact, params, perhaps=old is Tri.UNKNOWN)]


def _staleness(fact: ConditionFact, params: ConditionParams, ctx: EvaluationContext) -> list[str]:
    """Why an open time-limited Condition cannot be taken as current, if it cannot."""
    assert params.stale_after_days is not None
    limit = ctx.days_before(params.stale_after_days)
    if fact.start is None:
        return [f"{params.label} recorded without a date and still open ({fact.reference}): confirm whether it is current"]
    stale = before(fact.start, limit)
    if stale is Tri.NOT_MET:
        return []
    when = "more than" if stale is Tri.MET else "perhaps more than"
    reason = (
        f"{params.label} dated {fact.start.text} still open {when} {params.stale_after_days} days later "
        f"({fact.reference}): confirm whether it is current"
    )
    return [reason]


def _judged(params: ConditionParams, names: list[str], ctx: EvaluationContext) -> list[Judged]:
    found = (_judge(fact, hit, params, ctx) for fact, hit in coded_in(ctx.facts.conditions, names))
    return [j for j in found if j is not None]


def _clears_on(judged: list[Judged], window: Window) -> date | None:
    """The first day whose window no longer holds the last possible day of presence;
    None when any Condition that is or may be present is ongoing."""
    ends = [j.end for j in judged]
    if any(end is None for end in ends):
        return None
    return window.clears_on(max(end.last for end in ends if end is not None))


def _cut_note(params: ConditionParams, ctx: EvaluationContext) -> str:
    """The open acute entries kept to their date (G16), named for the reason."""
    if params.window is None or params.acute_within_days is None:
        return ""
    limit = ctx.days_before(params.acute_within_days)
    cut = [
        fact.reference
        for fact, _ in coded_in(ctx.facts.conditions, params.valuesets)
        if _acute_open(fact, params) and fact.start is not None and before(fact.start, limit) is not Tri.NOT_MET
    ]
    if not cut:
        return ""
    return f" (acute {params.label} with no status or end counted on its date only: {', '.join(cut[:3])})"


@kind(
    "condition",
    ConditionParams,
    reads=("Condition",),
    has_input=inputs.coded("conditions", lambda p: [*p.valuesets, *p.chronic_valuesets, *(r.valueset for r in p.unknown_when)]),
)
def condition(params: ConditionParams, ctx: EvaluationContext) -> Outcome:
    """Met by a matching Condition that counts; inside a window only while present in it."""
    judged = _judged(params, params.valuesets, ctx)
    met = [j for j in judged if j.status is Tri.MET]
    window = params.window
    if met:
        evidence = tuple(j.evidence for j in met)
        if window is None:
            return Outcome(Tri.MET, f"{params.label} recorded", evidence)
        clears_on = _clears_on(judged, window)
        last = max(j.end.last for j in met if j.end is not None) if clears_on is not None else None
        when = "ongoing" if last is None else f"last present {last.isoformat()}"
        return Outcome(Tri.MET, f"{params.label} within {window.describe()} ({when}){_cut_note(params, ctx)}", evidence, clears_on)
    if judged:
        reasons = "; ".join(dict.fromkeys(j.reason for j in judged))
        return Outcome(Tri.UNKNOWN, f"{params.label}: {reasons}", tuple(j.evidence for j in judged))
    for rule in params.unknown_when:
        partial = _judged(params, [rule.valueset], ctx)
        if partial:
            return Outcome(Tri.UNKNOWN, rule.reason, tuple(j.evidence for j in partial))
    if window is not None:
        return Outcome(Tri.NOT_MET, f"no {params.label} in the {window.describe()} before {ctx.as_of.isoformat()}{_cut_note(params, ctx)}")
    qualifier = "active " if params.status == "active" else ""
    return Outcome(Tri.NOT_MET, f"no record of {qualifier}{params.label}")
