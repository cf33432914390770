"""The shipped demo: valid FHIR R4, dated relative to the evaluation date, and the README's
requests give the cards the README shows."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from click.testing import CliRunner
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from hook_settings import AS_OF, FHIR_BASE, SERVICE_URL, resources_of, searchset
from tests_paths import README

from cds.cli import main
from cds.config import DEFAULTS
from cds.demo.requests import demo_names, demo_request, demo_resources

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def readme_block(marker: str) -> str:
    """The fenced block that follows `<!-- marker -->` in the README."""
    match = re.search(rf"<!-- {re.escape(marker)} -->\n```\w*\n(.*?)\n```", README.read_text(), re.S)
    assert match, f"README has no block marked {marker!r}"
    return match.group(1)


def without_uuids(value):
    return json.loads(UUID.sub("<uuid>", json.dumps(value)))


@pytest.mark.parametrize("name", demo_names())
def test_demo_requests_hold_valid_fhir_r4(name):
    for value in demo_request(name, AS_OF)["prefetch"].values():
        if value is not None:
            get_fhir_model_class(value["resourceType"]).model_validate(value)


def test_demo_dates_move_with_the_evaluation_date():
    later = AS_OF + datetime.timedelta(days=100)
    first, second = demo_resources("washout", AS_OF), demo_resources("washout", later)

    def vaccine_day(data: dict) -> datetime.date:
        return datetime.date.fromisoformat(data["immunizations"][0]["occurrenceDateTime"])

    assert vaccine_day(second) - vaccine_day(first) == datetime.timedelta(days=100)
    assert vaccine_day(first) == AS_OF - datetime.timedelta(days=10)


def test_readme_demo_request_gives_the_card_the_readme_shows(make_app, demo_trial_dir):
    # As the README's demo runs the service: no public base URL, so the card's worksheet
    # link points at the local service; NCT05247203 alone, the trial the demo is written for.
    client = make_app(AS_OF="2026-06-15", PUBLIC_BASE_URL=None, TRIALS_DIR=str(demo_trial_dir)).test_client()
    shown = json.loads(readme_block("demo-response: eligible"))
    received = client.post(SERVICE_URL, json=demo_request("eligible", datetime.date(2026, 6, 15))).json
    for card in received["cards"]:
        card.pop("extension")
    assert without_uuids(received) == without_uuids(shown), (
        "the README's demo card is out of date: re-run its curl and paste the answer"
    )


def test_readme_washout_and_ineligible_answers(make_app, demo_trial_dir):
    client = make_app(AS_OF="2026-06-15", TRIALS_DIR=str(demo_trial_dir)).test_client()
    (card,) = client.post(SERVICE_URL, json=demo_request("washout", datetime.date(2026, 6, 15))).json["cards"]
    assert card["summary"] == readme_block("demo-summary: washout")
    assert client.post(SERVICE_URL, json=demo_request("ineligible", datetime.date(2026, 6, 15))).json == {"cards": []}


def test_readme_first_command_pins_the_date_the_demo_was_taken_on():
    first_command = README.read_text().split("```bash\n", 1)[1].split("\n```", 1)[0]
    assert "TRIALCDS_AUTH=off TRIALCDS_AS_OF=2026-06-15 .venv/bin/trialcds serve" in first_command
    assert "bash .ci/run" in first_command


def test_readme_documents_every_setting():
    text = README.read_text()
    missing = [key for key in DEFAULTS if f"`TRIALCDS_{key}`" not in text]
    assert missing == []


def test_demo_request_command_prints_the_request():
    result = CliRunner().invoke(main, ["demo-request", "eligible", "--as-of", "2026-06-15"])
    assert result.exit_code == 0
    body = json.loads(result.output)
    assert body["context"]["patientId"] == "demo-eligible" and body["prefetch"]["patient"]["birthDate"] == "1991-06-15"


def test_demo_request_without_prefetch_is_served_from_the_fhir_server(make_app, demo_trial_dir, fhir):
    body = json.loads(
        CliRunner().invoke(main, ["demo-request", "eligible", "--as-of", "2026-06-15", "--fhir-server", FHIR_BASE]).output
    )
    assert "prefetch" not in body
    full = demo_request("eligible", AS_OF)["prefetch"]
    discovery = make_app(FHIR_ALLOW_NO_TOKEN=True).test_client().get("/cds-services").json["services"][0]["prefetch"]
    for key, template in discovery.items():
        value = full[key]
        if value is None or value["resourceType"] == "Bundle":
            value = searchset(resources_of(value) if value else [])
        fhir.get(f"{FHIR_BASE}/{template.replace('{{context.patientId}}', 'demo-eligible')}", json=value)
    response = make_app(FHIR_ALLOW_NO_TOKEN=True, TRIALS_DIR=str(demo_trial_dir)).test_client().post(SERVICE_URL, json=body)
    assert response.status_code == 200 and len(response.json["cards"]) == 1


def test_demo_load_puts_every_demo_resource_in_one_transaction(fhir):
    fhir.post(FHIR_BASE, json={"resourceType": "Bundle", "type": "transaction-response"})
    result = CliRunner().invoke(main, ["demo-load", FHIR_BASE, "--as-of", "2026-06-15"])
    assert result.exit_code == 0, result.output
    bundle = json.loads(fhir.calls[0].request.body)
    Bundle.model_validate(bundle)
    urls = [entry["request"]["url"] for entry in bundle["entry"]]
    assert all(entry["request"]["method"] == "PUT" for entry in bundle["entry"])
    assert {"Patient/demo-eligible", "Patient/demo-ineligible", "Patient/demo-washout"} <= set(urls)
    assert "Immunization/demo-washout-zoster" in urls


def test_demo_load_reports_a_refusal(fhir):
    fhir.post(FHIR_BASE, status=422, json={"resourceType": "OperationOutcome", "issue": []})
    result = CliRunner().invoke(main, ["demo-load", FHIR_BASE])
    assert result.exit_code != 0 and "refused the demo transaction (422)" in result.output
