"""`trialcds feedback-report`: per trial, cards by their latest outcome and override reason."""

from __future__ import annotations

import click
from flask import Flask

from cds.feedback.store import FeedbackStore, ReportRow, database_url

NO_TRIAL = "(cards not issued by this service)"
NO_REASON = "(no coded reason)"


def format_report(rows: list[ReportRow]) -> str:
    """Render report rows as text: per trial, how many cards, then cards per latest outcome."""
    if not rows:
        return "No feedback yet."
    lines = ["Cards with feedback, each counted once by its latest outcome:"]
    trials: dict[str | None, list[ReportRow]] = {}
    for row in rows:
        trials.setdefault(row.trial_id, []).append(row)
    for trial_id, trial_rows in trials.items():
        total = sum(row.cards for row in trial_rows)
        lines.append(f"{trial_id or NO_TRIAL}: {total} card{'s' if total != 1 else ''}")
        for row in trial_rows:
            if row.outcome == "overridden":
                reason = f"{row.override_code} ({row.override_display})" if row.override_display else row.override_code
                lines.append(f"  overridden, {reason or NO_REASON}: {row.cards}")
            else:
                lines.append(f"  {row.outcome}: {row.cards}")
    return "\n".join(lines)


@click.command("feedback-report")
@click.option(
    "--database",
    envvar="TRIALCDS_FEEDBACK_DATABASE",
    default=None,
    help="Feedback store: a SQLite file or a SQLAlchemy URL (default: TRIALCDS_FEEDBACK_DATABASE, "
    "else the service's instance folder).",
)
def feedback_report(database: str | None) -> None:
    """Print, per trial, how many cards got feedback and each card's latest outcome and override reason."""
    # The service's default store lives in the Flask instance folder of the `cds` package.
    store = FeedbackStore(database_url(database, Flask("cds").instance_path))
    try:
        click.echo(format_report(store.report()))
    finally:
        store.close()
