"""`trialcds feedback-report`: card outcomes and override reasons per trial."""

from __future__ import annotations

import click
from flask import Flask

from cds.feedback.store import FeedbackStore, ReportRow, database_url

NO_TRIAL = "(cards not issued by this service)"
NO_REASON = "(no coded reason)"


def format_report(rows: list[ReportRow]) -> str:
    """Render report rows as text, one block per trial."""
    if not rows:
        return "No feedback yet."
    lines: list[str] = []
    trial: object = object()
    for row in rows:
        if row.trial_id != trial:
            trial = row.trial_id
            lines.append(row.trial_id or NO_TRIAL)
        if row.outcome == "overridden":
            reason = f"{row.override_code} ({row.override_display})" if row.override_display else row.override_code
            lines.append(f"  overridden, {reason or NO_REASON}: {row.count}")
        else:
            lines.append(f"  {row.outcome}: {row.count}")
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
    """Print card outcomes and override reasons per trial from the feedback store."""
    # The service's default store lives in the Flask instance folder of the `cds` package.
    store = FeedbackStore(database_url(database, Flask("cds").instance_path))
    try:
        click.echo(format_report(store.report()))
    finally:
        store.close()
