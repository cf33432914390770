"""The `trialcds` command line: one click group; each command lives in its own module."""

from __future__ import annotations

import click

from cds.commands.evaluate import evaluate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Clinical-trial eligibility from FHIR R4 data (CDS Hooks 2.0 patient-view)."""


main.add_command(evaluate)
