"""`trialcds evaluate BUNDLE.json`: one patient's eligibility as a checklist or as JSON."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import NoReturn

import click
import orjson

from cds.engine.evaluate import TrialResult
from cds.pipeline import evaluate_trial
from cds.trials.loader import TrialDefinitionError, load_trials
from fhir_mappings.record import PatientRecord, RecordError

STATUS_MARK = {"met": "[x]", "not_met": "[ ]", "unknown": "[?]"}
# How the first line says why a patient is no candidate whatever the criteria say.
NOT_CANDIDATE_TEXT = {"deceased": "the patient is deceased"}


def fail(message: str) -> NoReturn:
    """One line on stderr and exit code 2: bad input is never a traceback."""
    click.echo(f"trialcds evaluate: error: {message}", err=True)
    sys.exit(2)


def read_bundle(path: Path) -> PatientRecord:
    """Read a Bundle file into a record, turning every input problem into `fail`."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    try:
        bundle = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        fail(f"{path} is not valid JSON: {exc}")
    try:
        return PatientRecord.from_bundle(bundle)
    except RecordError as exc:
        fail(f"{path}: {exc}")


def render_text(result: TrialResult) -> str:
    """A readable checklist: decision first, then each criterion with its reason."""
    payload = result.to_json()
    headline = (
        f"{result.trial.nct_id} ({result.trial.short_title}): {payload['decision'].replace('_', ' ')}"
        f" for {payload['patient']} as of {payload['as_of']}"
    )
    if payload["not_candidate_reason"]:
        headline += f": not a candidate, {NOT_CANDIDATE_TEXT.get(payload['not_candidate_reason'], payload['not_candidate_reason'])}"
    lines = [headline]
    if payload["eligible_from"]:
        lines.append(f"eligible from {payload['eligible_from']} if nothing else changes")
    for item in payload["criteria"]:
        clears = f" (clears on {item['clears_on']})" if item["clears_on"] else ""
        lines.append(f"{STATUS_MARK[item['status']]} {item['id']:<5} {item['status']:<8} {item['reason']}{clears}")
        for ev in item["evidence"]:
            lines.append(f"          - {ev['reference']} {ev['code']} {ev['value'] or ''} {ev['date'] or ''}".rstrip())
    if payload["unidentified_medications"]:
        lines.append("unidentified medications (no drug criterion matches them; check them):")
        for med in payload["unidentified_medications"]:
            lines.append(f"          - {med['reference']} {med['code'] or ''} {med['text'] or ''}".rstrip())
    return "\n".join(lines)


@click.command()
@click.argument("bundle", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--trial", "trial_id", default="nct05247203", show_default=True, help="Trial id (a trial file name).")
@click.option("--as-of", "as_of_text", default=None, help="Evaluation date D, YYYY-MM-DD (default: today).")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
def evaluate(bundle: Path, trial_id: str, as_of_text: str | None, output: str) -> None:
    """Evaluate one patient's FHIR Bundle against a trial's eligibility criteria."""
    try:
        as_of = date.fromisoformat(as_of_text) if as_of_text else date.today()
    except ValueError:
        fail(f"--as-of {as_of_text!r} is not a date (YYYY-MM-DD)")
    try:
        trials = load_trials()
    except TrialDefinitionError as exc:
        fail(str(exc))
    if trial_id not in trials:
        fail(f"unknown trial {trial_id!r} (configured: {', '.join(sorted(trials))})")
    record = read_bundle(bundle)
    result = evaluate_trial(record, trials[trial_id], as_of)
    if output == "json":
        click.echo(orjson.dumps(result.to_json()).decode())
    else:
        click.echo(render_text(result))
