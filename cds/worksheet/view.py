"""Trial results -> what the worksheet page shows, so the templates hold no logic.

A coordinator reads, per trial: the decision first, then every criterion with its
label, the trial's own sentence, the engine's status and reason, and the evidence
(value with unit, date, and the FHIR resource it came from); criteria that clear with
time on a timeline; and the list of what to confirm at screening. Status is always
written in words and a symbol, never shown by colour alone (WCAG 1.4.1).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cds.engine.evaluate import CriterionResult, TrialResult
from cds.engine.logic import Tri
from cds.engine.outcome import Evidence
from fhir_mappings.codes import SYSTEM_BY_ALIAS

# Short names of the code systems evidence is coded in, for people (fhir_mappings.codes).
_SYSTEM_NAMES = {
    SYSTEM_BY_ALIAS[alias]: name
    for alias, name in {
        "loinc": "LOINC",
        "snomed": "SNOMED CT",
        "icd10cm": "ICD-10-CM",
        "rxnorm": "RxNorm",
        "cvx": "CVX",
        "cpt": "CPT",
        "atc": "ATC",
    }.items()
}
_STATUS_WORDS = {Tri.MET: "met", Tri.NOT_MET: "not met", Tri.UNKNOWN: "unknown"}


@dataclass(frozen=True)
class EvidenceView:
    """One FHIR resource behind a criterion."""

    value: str
    date: str | None
    code: str
    resource: str


@dataclass(frozen=True)
class CriterionView:
    """One criterion's row."""

    id: str
    label: str
    source: str
    status: str
    effect: str  # "fits", "blocks" or "confirm": the CSS class and the word shown
    effect_text: str
    reason: str
    evidence: tuple[EvidenceView, ...]
    clears_on: str | None


@dataclass(frozen=True)
class TimelineBar:
    """A time-limited blocking criterion: from its latest evidence to the day it clears.

    `start` and `width` are percentages of the timeline's span, for the drawing only;
    the dates are written out beside it.
    """

    criterion: CriterionView
    since: str | None
    start: float
    width: float


@dataclass(frozen=True)
class Timeline:
    """Washout dates of one trial, on an axis from `first` (the earliest evidence or the
    evaluation date) to `last` (the last clearing date)."""

    first: str
    last: str
    as_of: str
    today: float
    eligible_from: str | None
    bars: tuple[TimelineBar, ...]


@dataclass(frozen=True)
class TrialView:
    """One trial's section of the worksheet."""

    anchor: str
    nct_id: str
    title: str
    short_title: str
    url: str
    decision: str  # "candidate", "later" or "ineligible": the CSS class
    headline: str
    summary: str
    inclusions: tuple[CriterionView, ...]
    exclusions: tuple[CriterionView, ...]
    to_confirm: tuple[CriterionView, ...]
    timeline: Timeline | None


@dataclass(frozen=True)
class PatientView:
    """Who the worksheet is about: what a printed page needs to identify the patient."""

    name: str
    birth_date: str
    gender: str
    reference: str
    deceased: str | None  # "yes", or the date, when the record says so


@dataclass(frozen=True)
class WorksheetView:
    """The whole page."""

    patient: PatientView
    as_of: str
    trials: tuple[TrialView, ...]


def _evidence(item: Evidence) -> EvidenceView:
    system, _, code = item.code.rpartition("|")
    shown_code = f"{_SYSTEM_NAMES.get(system, system)} {code}" if system else code
    date = item.date.isoformat() if item.date else None
    value = item.value if item.value and item.value != date else ""  # a birth date is its own value
    return EvidenceView(value, date, shown_code, item.reference)


def _criterion(result: CriterionResult) -> CriterionView:
    clears_on = result.clears_on.isoformat() if result.clears_on else None
    if result.status is Tri.UNKNOWN:
        effect, text = "confirm", "? To confirm"
    elif result.blocks:
        effect, text = "blocks", f"✗ Blocks until {clears_on}" if clears_on else "✗ Blocks"
    else:
        effect, text = "fits", "✓ Fits"
    criterion = result.criterion
    return CriterionView(
        id=criterion.id,
        label=criterion.label,
        source=criterion.source,
        status=_STATUS_WORDS[result.status],
        effect=effect,
        effect_text=text,
        reason=result.reason,
        evidence=tuple(_evidence(e) for e in result.evidence),
        clears_on=clears_on,
    )


def _timeline(result: TrialResult, rows: Sequence[tuple[CriterionResult, CriterionView]]) -> Timeline | None:
    """The time-limited blocking criteria on one axis from the earliest evidence to the last clearing day."""
    timed = [(r, v, r.clears_on) for r, v in rows if r.blocks and r.clears_on is not None]
    if not timed:
        return None
    starts = {v.id: max((e.date for e in r.evidence if e.date), default=None) for r, v, _ in timed}
    first = min([result.as_of, *(d for d in starts.values() if d)])
    last = max(clears_on for _, _, clears_on in timed if clears_on)
    span = max((last - first).days, 1)

    def position(day: datetime.date) -> float:
        return round(100 * (day - first).days / span, 1)

    bars = []
    for _, v, clears_on in timed:
        since = starts[v.id]
        start = position(since or result.as_of)
        end = position(clears_on) if clears_on else start
        bars.append(TimelineBar(v, since.isoformat() if since else None, start, max(round(end - start, 1), 0.0)))
    eligible_from = result.eligible_from
    return Timeline(
        first.isoformat(),
        last.isoformat(),
        result.as_of.isoformat(),
        position(result.as_of),
        eligible_from.isoformat() if eligible_from else None,
        tuple(bars),
    )


def _decision(result: TrialResult, rows: Sequence[CriterionView]) -> tuple[str, str, str]:
    """(CSS class, headline, one-sentence summary) of a trial's decision."""
    confirm = sum(1 for v in rows if v.effect == "confirm")
    items = f"{confirm} item{'s' if confirm != 1 else ''} to confirm at screening" if confirm else "nothing to confirm"
    blocking = [v.label for v in rows if v.effect == "blocks"]
    if not blocking:
        return "candidate", "✓ Possible candidate", f"No criterion excludes the patient on the record; {items}."
    eligible_from = result.eligible_from
    if eligible_from is not None:
        return (
            "later",
            f"◷ Not eligible until {eligible_from.isoformat()}",
            (
                f"Blocked today by: {'; '.join(blocking)}. May become a candidate from "
                f"{eligible_from.isoformat()} if nothing else changes; {items}."
            ),
        )
    return "ineligible", "✗ Not eligible", f"Blocked by: {'; '.join(blocking)}; {items}."


def trial_view(result: TrialResult) -> TrialView:
    """One trial's section, from its result."""
    pairs = [(c, _criterion(c)) for c in result.criteria]
    views = [v for _, v in pairs]
    decision, headline, summary = _decision(result, views)
    trial = result.trial
    return TrialView(
        anchor=f"trial-{trial.id}",
        nct_id=trial.nct_id,
        title=trial.title,
        short_title=trial.short_title,
        url=trial.url,
        decision=decision,
        headline=headline,
        summary=summary,
        inclusions=tuple(v for c, v in pairs if c.criterion.kind == "inclusion"),
        exclusions=tuple(v for c, v in pairs if c.criterion.kind == "exclusion"),
        to_confirm=tuple(v for v in views if v.effect == "confirm"),
        timeline=_timeline(result, pairs),
    )


def _name(patient: dict[str, Any]) -> str:
    names = [n for n in patient.get("name") or [] if isinstance(n, dict)]
    chosen = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    if isinstance(chosen.get("text"), str):
        return chosen["text"]
    given = [g for g in chosen.get("given") or [] if isinstance(g, str)]
    family = chosen.get("family") if isinstance(chosen.get("family"), str) else ""
    return " ".join([*given, family]).strip() or "(no name recorded)"


def patient_view(patient: dict[str, Any]) -> PatientView:
    """The identifying facts of the Patient resource, as recorded."""
    birth_date, gender = patient.get("birthDate"), patient.get("gender")
    deceased_on = patient.get("deceasedDateTime")
    deceased = deceased_on[:10] if isinstance(deceased_on, str) else "yes" if patient.get("deceasedBoolean") is True else None
    return PatientView(
        name=_name(patient),
        birth_date=birth_date if isinstance(birth_date, str) else "not recorded",
        gender=gender if isinstance(gender, str) else "not recorded",
        reference=f"Patient/{patient.get('id', '')}",
        deceased=deceased,
    )


def worksheet_view(patient: dict[str, Any], results: Sequence[TrialResult], as_of: datetime.date) -> WorksheetView:
    """The whole worksheet for one patient."""
    return WorksheetView(patient_view(patient), as_of.isoformat(), tuple(trial_view(r) for r in results))
