"""`trialcds demo-worksheet`: the eligibility worksheet against a local FHIR server, in one command.

It starts sekmet-fhir with the demo patients, the mock SMART EHR in front of it, and the
service under gunicorn with its production settings (client authentication off), all on
127.0.0.1; prints one launch URL per demo patient; and stops everything on Ctrl+C.
"""

from __future__ import annotations

import datetime
import signal
import tempfile
from pathlib import Path
from types import FrameType

import click

from cds.commands.demo import AS_OF_OPTION, as_of_date
from cds.demo.smart_ehr import LOOPBACK
from cds.demo.worksheet_stack import (
    DemoStackError,
    gunicorn_service,
    load_demo_patients,
    mock_ehr,
    sekmet,
)

CLIENT_ID = "trialcds-worksheet-demo"


def _service_environment(fhir_base: str, service_base_url: str, workdir: Path, as_of: datetime.date) -> dict[str, str]:
    """The service's settings for the demo: the mock EHR is its one allowed FHIR server."""
    return {
        "TRIALCDS_AUTH": "off",
        "TRIALCDS_AS_OF": as_of.isoformat(),
        "TRIALCDS_FHIR_SERVERS": fhir_base,
        "TRIALCDS_PUBLIC_BASE_URL": service_base_url,
        "TRIALCDS_WORKSHEET_CLIENT_ID": CLIENT_ID,
        "TRIALCDS_WORKSHEET_DATABASE": str(workdir / "worksheet-sessions.sqlite3"),
        "TRIALCDS_FEEDBACK_DATABASE": str(workdir / "feedback.sqlite3"),
    }


def _stop_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so the servers started here are stopped on the way out."""

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)


@click.command("demo-worksheet")
@AS_OF_OPTION
@click.option("--port", type=int, default=8080, show_default=True, help="Port of the service (worksheet).")
@click.option("--ehr-port", type=int, default=9090, show_default=True, help="Port of the mock SMART EHR.")
def demo_worksheet_command(as_of: datetime.datetime | None, port: int, ehr_port: int) -> None:
    """Run the worksheet demo: sekmet-fhir, a mock SMART EHR and the service, on 127.0.0.1."""
    _stop_on_sigterm()
    day = as_of_date(as_of)
    service_base_url = f"http://{LOOPBACK}:{port}"
    with tempfile.TemporaryDirectory(prefix="trialcds-worksheet-demo-") as folder:
        workdir = Path(folder)
        try:
            with (
                sekmet(workdir / "sekmet") as store,
                mock_ehr(store, ehr_port, service_base_url, CLIENT_ID, day) as running,
            ):
                load_demo_patients(store, day)
                environment = _service_environment(running.ehr.fhir_base, service_base_url, workdir, day)
                with gunicorn_service(port, environment) as service:
                    click.echo(
                        f"sekmet-fhir holds the demo patients (dated for {day.isoformat()}); the mock SMART EHR "
                        f"serves them at {running.ehr.fhir_base}; the service listens on {service_base_url}.\n"
                        "Open a launch URL in a browser, as the EHR would from that patient's chart:"
                    )
                    width = max(len(name) for name in running.launch_urls)
                    for name, url in running.launch_urls.items():
                        click.echo(f"  {name:<{width}}  {url}")
                    click.echo("Ctrl+C stops everything.")
                    service.wait()
        except DemoStackError as exc:
            raise click.ClickException(str(exc)) from exc
        except KeyboardInterrupt:
            click.echo("stopped")
