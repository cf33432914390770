"""`trialcds export --trial ID|all --out DIR`: each trial's criteria as FHIR resources.

Per trial, `DIR/<trial id>/` gets ResearchStudy.json and Group.json (FHIR R4) and
EvidenceVariable.json (FHIR R5), each validated before it is written (`cds.export`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cds.commands.trial_choice import TrialChoiceError, chosen_trials, trial_options
from cds.export.evidence_variable import ExportError
from cds.export.files import write_export


@click.command("export")
@trial_options
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder to write into (made if missing); one sub-folder per trial.")
def export(trial_id: str, trials_dir: Path | None, out: Path) -> None:
    """Write each trial as a FHIR R4 ResearchStudy with its enrollment Group and an R5 EvidenceVariable."""
    try:
        written = write_export(chosen_trials(trial_id, trials_dir), out)
    except (TrialChoiceError, ExportError, OSError) as exc:
        click.echo(f"trialcds export: error: {exc}", err=True)
        sys.exit(2)
    for path in written:
        click.echo(str(path))
