"""Candidates: patients potentially eligible now, or once a washout clears.

A candidate row is for the research coordinator: the decision, from when, what to confirm at
screening, and the one piece of evidence that best says why this patient is on the list.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from cds.population.attrition import POTENTIALLY_ELIGIBLE

CSV_COLUMNS = ("patient", "trial", "decision", "eligible_from", "to_confirm", "to_confirm_labels", "strongest_evidence")
# Weeks the washout calendar shows one by one; later dates are counted together.
CALENDAR_WEEKS = 26


def candidate_row(evaluation: dict[str, Any]) -> dict[str, Any] | None:
    """The candidates.csv row of an evaluation, or None when the patient is no candidate.

    Candidates are the potentially eligible and the ineligible whose every blocking criterion
    clears by itself (`eligible_from`).
    """
    if evaluation["decision"] != POTENTIALLY_ELIGIBLE and not evaluation.get("eligible_from"):
        return None
    unknown = [c for c in evaluation["criteria"] if c["status"] == "unknown"]
    return {
        "patient": evaluation["patient"],
        "trial": evaluation["trial"],
        "decision": evaluation["decision"],
        "eligible_from": evaluation.get("eligible_from") or "",
        "to_confirm": len(unknown),
        "to_confirm_labels": "; ".join(f"{c['id']} {c['label']}" for c in unknown),
        "strongest_evidence": strongest_evidence(evaluation),
    }


def strongest_evidence(evaluation: dict[str, Any]) -> str:
    """The first met inclusion criterion in file order whose evidence is a clinical record
    (not the Patient resource alone, as for age), with its most recent item.

    Trial files list the general criteria (age) before the disease ones, so this is the
    diagnosis, the serology or the treatment that puts the patient on the list.
    """
    for criterion in evaluation["criteria"]:
        if criterion["kind"] != "inclusion" or criterion["status"] != "met":
            continue
        clinical = [e for e in criterion["evidence"] if not e["reference"].startswith("Patient/")]
        if clinical:
            latest = max(clinical, key=lambda e: e["date"] or "")
            what = latest["value"] or latest["code"]
            when = f" on {latest['date']}" if latest["date"] else ""
            return f"{criterion['id']} {criterion['label']}: {what}{when} ({latest['reference']})"
    return ""


def washout_calendar(rows: list[dict[str, Any]], as_of: date) -> list[dict[str, Any]]:
    """How many candidates there are now, and how many become candidates in each coming week."""
    now = sum(1 for r in rows if not r["eligible_from"])
    weeks = [0] * CALENDAR_WEEKS
    later = 0
    for row in rows:
        if row["eligible_from"]:
            week = (date.fromisoformat(row["eligible_from"]) - as_of).days // 7
            if week < CALENDAR_WEEKS:
                weeks[max(week, 0)] += 1
            else:
                later += 1
    calendar = [{"label": "now", "start": as_of.isoformat(), "end": None, "count": now}]
    for week, count in enumerate(weeks):
        start = as_of + timedelta(days=7 * week)
        calendar.append({"label": f"week {week + 1}", "start": start.isoformat(),
                         "end": (start + timedelta(days=6)).isoformat(), "count": count})
    calendar.append({"label": f"after week {CALENDAR_WEEKS}", "start": (as_of + timedelta(days=7 * CALENDAR_WEEKS)).isoformat(),
                     "end": None, "count": later})
    return calendar
