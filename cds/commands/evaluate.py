"""`trialcds evaluate BUNDLE.json`: one patient's eligibility as a checklist or as JSON.

`--trial all` (the default) evaluates every configured trial, in trial-id order, on facts
extracted once (`cds.pipeline.evaluate_trials`): JSON is then a list of evaluations, text
one block per trial. `--trial ID` prints that trial's evaluation alone (JSON: one object).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import NoReturn

import click
import orjson

from cds.engine.evaluate import TrialResult
from cds.pipeline import evaluate_trials
from cds.trials.loader import TrialDefinitionError, load_trials
from fhir_mappings.record import PatientRecord, RecordError

STATUS_MARK = {"met": "[x]", "not_met": "[ ]", "unknown": "[?]"}
# The --trial value that selects every configured trial.
ALL_TRIALS = "all"
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
    return "\n".join(lines)


@click.command()
@click.argument("bundle", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--trial", "trial_id", default=ALL_TRIALS, show_default=True,
              help="A trial id (the `id` of a trial file), or `all`: every configured trial, in id order.")
@click.option("--trials-dir", type=click.Path(path_type=Path, file_okay=False), envvar="TRIALCDS_TRIALS_DIR",
              default=None, help="Folder of trial files (default: TRIALCDS_TRIALS_DIR, else the shipped trials).")
@click.option("--as-of", "as_of_text", default=None, help="Evaluation date D, YYYY-MM-DD (default: today).")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
def evaluate(bundle: Path, trial_id: str, trials_dir: Path | None, as_of_text: str | None, output: str) -> None:
    """Evaluate one patient's FHIR Bundle against the eligibility criteria of one trial or all."""
    try:
        as_of = date.fromisoformat(as_of_text) if as_of_text else date.today()
    except ValueError:
        fail(f"--as-of {as_of_text!r} is not a date (YYYY-MM-DD)")
    try:
        trials = load_trials(trials_dir)
    except TrialDefinitionError as exc:
        fail(str(exc))
    if trial_id != ALL_TRIALS and trial_id not in trials:
        fail(f"unknown trial {trial_id!r} (configured: {', '.join(sorted(trials))}, or {ALL_TRIALS})")
    chosen = [trials[key] for key in sorted(trials)] if trial_id == ALL_TRIALS else [trials[trial_id]]
    results = evaluate_trials(read_bundle(bundle), chosen, as_of)
    if output == "json":
        payloads = [result.to_json() for result in results]
        click.echo(orjson.dumps(payloads if trial_id == ALL_TRIALS else payloads[0]).decode())
    else:
        click.echo("\n\n".join(render_text(result) for result in results))
