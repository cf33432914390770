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
from cds.commands.trial_choice import ALL_TRIALS, TrialChoiceError, chosen_trials, trial_options
from cds.pipeline import evaluate_trials
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
@trial_options
@click.option("--as-of", "as_of_text", default=None, help="Evaluation date D, YYYY-MM-DD (default: today).")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
def evaluate(bundle: Path, trial_id: str, trials_dir: Path | None, as_of_text: str | None, output: str) -> None:
    """Evaluate one patient's FHIR Bundle against the eligibility criteria of one trial or all."""
    try:
        as_of = date.fromisoformat(as_of_text) if as_of_text else date.today()
    except ValueError:
        fail(f"--as-of {as_of_text!r} is not a date (YYYY-MM-DD)")
    try:
        chosen = chosen_trials(trial_id, trials_dir)
    except TrialChoiceError as exc:
        fail(str(exc))
    results = evaluate_trials(read_bundle(bundle), chosen, as_of)
    if output == "json":
        payloads = [result.to_json() for result in results]
        click.echo(orjson.dumps(payloads if trial_id == ALL_TRIALS else payloads[0]).decode())
    else:
        click.echo("\n\n".join(render_text(result) for result in results))
