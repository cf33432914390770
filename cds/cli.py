"""The `trialcds` command line: one click group; each command lives in its own module."""

from __future__ import annotations

import click

from cds.commands.demo import demo_load_command, demo_request_command
from cds.commands.demo_worksheet import demo_worksheet_command
from cds.commands.evaluate import evaluate
from cds.commands.export import export
from cds.commands.feedback_report import feedback_report
from cds.commands.load_fhir import load_fhir
from cds.commands.screen import screen
from cds.commands.serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Clinical-trial eligibility from FHIR R4 data (CDS Hooks 2.0 patient-view)."""


main.add_command(evaluate)
main.add_command(export)
main.add_command(load_fhir)
main.add_command(serve)
main.add_command(feedback_report)
main.add_command(demo_request_command)
main.add_command(demo_load_command)
main.add_command(demo_worksheet_command)
main.add_command(screen)
