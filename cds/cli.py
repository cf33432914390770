"""The `trialcds` command line: one click group; each command lives in its own module.

A command's module is imported only when that command runs (or `--help` lists them):
`trialcds screen` then does not pay for the web stack, the feedback store's SQLAlchemy or
the FHIR models of `export` (about 0.4 s of a 0.9 s start; docs/performance.md).
"""

from __future__ import annotations

import importlib

import click

# Command name -> "module:attribute" of its click command.
COMMANDS = {
    "evaluate": "cds.commands.evaluate:evaluate",
    "export": "cds.commands.export:export",
    "load-fhir": "cds.commands.load_fhir:load_fhir",
    "serve": "cds.commands.serve:serve",
    "feedback-report": "cds.commands.feedback_report:feedback_report",
    "demo-request": "cds.commands.demo:demo_request_command",
    "demo-load": "cds.commands.demo:demo_load_command",
    "demo-worksheet": "cds.commands.demo_worksheet:demo_worksheet_command",
    "screen": "cds.commands.screen:screen",
}


class LazyGroup(click.Group):
    """A group whose commands are imported when asked for (click's documented lazy-loading pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command) and command.name == cmd_name, target
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Clinical-trial eligibility from FHIR R4 data (CDS Hooks 2.0 patient-view)."""
