"""`trialcds demo-request NAME` and `trialcds demo-load URL`: the README's demo data."""

from __future__ import annotations

import datetime
import json
import os
import time

import click
import requests

from cds.demo.requests import demo_names, demo_request, demo_transaction

# Seconds to wait for the FHIR server to take the demo transaction.
LOAD_TIMEOUT_SECONDS = 60
# Seconds between two checks that the FHIR server is up (`--wait`).
WAIT_POLL_SECONDS = 5


def as_of_date(value: datetime.datetime | None) -> datetime.date:
    if value is not None:
        return value.date()
    pinned = os.environ.get("TRIALCDS_AS_OF")
    return datetime.date.fromisoformat(pinned) if pinned else datetime.date.today()


AS_OF_OPTION = click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date the demo is built for (default TRIALCDS_AS_OF, else today): use the service's date.",
)


@click.command("demo-request")
@click.argument("name", type=click.Choice(demo_names()))
@AS_OF_OPTION
@click.option(
    "--fhir-server",
    default=None,
    help="Send no prefetch and name this FHIR base URL instead (the demo patients must be loaded there).",
)
def demo_request_command(name: str, as_of: datetime.datetime | None, fhir_server: str | None) -> None:
    """Print a patient-view request for a demo patient (full prefetch by default)."""
    click.echo(json.dumps(demo_request(name, as_of_date(as_of), fhir_server), indent=2))


def _wait_until_up(fhir_base: str, wait_seconds: int) -> None:
    """Poll the server's CapabilityStatement until it answers, for up to `wait_seconds`."""
    give_up = time.monotonic() + wait_seconds
    while True:
        try:
            if requests.get(f"{fhir_base}/metadata", timeout=WAIT_POLL_SECONDS).status_code == 200:
                return
        except requests.RequestException:
            pass  # not up yet
        if time.monotonic() >= give_up:
            raise click.ClickException(f"the FHIR server at {fhir_base} did not come up in {wait_seconds} s")
        time.sleep(WAIT_POLL_SECONDS)


@click.command("demo-load")
@click.argument("fhir_base")
@AS_OF_OPTION
@click.option("--wait", "wait_seconds", type=int, default=0, help="Seconds to wait for the FHIR server to come up.")
def demo_load_command(fhir_base: str, as_of: datetime.datetime | None, wait_seconds: int) -> None:
    """PUT the demo patients into a FHIR server (one transaction, ids kept)."""
    fhir_base = fhir_base.rstrip("/")
    if wait_seconds:
        _wait_until_up(fhir_base, wait_seconds)
    bundle = demo_transaction(demo_names(), as_of_date(as_of))
    response = requests.post(
        fhir_base,
        json=bundle,
        headers={"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"},
        timeout=LOAD_TIMEOUT_SECONDS,
    )
    if response.status_code >= 300:
        raise click.ClickException(f"the FHIR server refused the demo transaction ({response.status_code})")
    click.echo(f"loaded {len(bundle['entry'])} resources of {len(demo_names())} demo patients into {fhir_base}")
