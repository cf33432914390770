"""`trialcds load-fhir`: load transaction bundles into a FHIR server, keeping their resource ids."""

from __future__ import annotations

from pathlib import Path

import click
import requests

from cds.fhir_loader import load_bundles


@click.command("load-fhir")
@click.argument("base_url")
@click.argument("bundles", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--bearer-token",
    envvar="TRIALCDS_LOAD_FHIR_TOKEN",
    help="Access token for a server that requires one (read from the environment, so it stays out of `ps`).",
)
def load_fhir(base_url: str, bundles: tuple[Path, ...], bearer_token: str | None) -> None:
    """Load BUNDLES (.json or .json.gz transaction bundles) into the FHIR server at BASE_URL.

    Each POST entry becomes PUT Type/id so the ids in the files are kept and a second load
    changes nothing. A bundle the server refuses is reported and the others still load;
    the exit status is 1 when any bundle failed.
    """
    session = requests.Session()
    if bearer_token:
        session.headers["Authorization"] = f"Bearer {bearer_token}"
    report = load_bundles(base_url, list(bundles), session)
    entries = sum(bundle.entries for bundle in report.loaded)
    click.echo(f"loaded {len(report.loaded)} bundle(s), {entries} entries, into {base_url}")
    for failure in report.failures:
        click.echo(f"failed: {failure}", err=True)
    if report.failures:
        raise click.exceptions.Exit(1)
