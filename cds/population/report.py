"""report.html: one self-contained page per run (inline CSS charts, no script, no network).

Rendered with Jinja2 (autoescaped) from the run's counts; it opens from the disk in any
browser, without a server.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from cds.population.candidates import washout_calendar

if TYPE_CHECKING:
    from cds.population.outputs import RunOutcome

# Problems and patients not evaluated listed on the page; the CSV files hold them all.
LISTED_ON_PAGE = 200


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("cds.population", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _trial_view(outcome: RunOutcome, trial_id: str) -> dict[str, Any]:
    attrition = outcome.attrition[trial_id]
    funnel = attrition.funnel(len(outcome.not_evaluated))
    total = funnel[0]["remaining"]
    candidates = [c for c in outcome.candidates if c["trial"] == trial_id]
    calendar = washout_calendar(candidates, outcome.as_of)
    busiest = max((w["count"] for w in calendar), default=0)
    return {
        "trial": attrition.trial,
        "funnel": [{**row, "width": _percent(row["remaining"], total)} for row in funnel],
        "criteria": [
            {**row, "parts": [(s, row[s], _percent(row[s], attrition.evaluated)) for s in ("met", "not_met", "unknown")]}
            for row in funnel if row["kind"]
        ],
        "calendar": [{**week, "height": _percent(week["count"], busiest)} for week in calendar],
        "candidates": candidates,
        "now": sum(1 for c in candidates if not c["eligible_from"]),
        "later": sum(1 for c in candidates if c["eligible_from"]),
    }


def render_report(outcome: RunOutcome) -> str:
    """The page, as text."""
    counts = outcome.counts()
    unread = sorted({s["type"] for s in outcome.summaries if not s.get("read")})
    return _environment().get_template("report.html.j2").render(
        outcome=outcome,
        counts=counts,
        source=outcome.export.folder.name or str(outcome.export.folder),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        trials=[_trial_view(outcome, t.id) for t in outcome.job.trials],
        unread_types=unread,
        problems=outcome.problems[:LISTED_ON_PAGE],
        not_evaluated=outcome.not_evaluated[:LISTED_ON_PAGE],
        listed=LISTED_ON_PAGE,
    )
