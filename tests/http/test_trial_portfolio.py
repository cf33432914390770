"""Every configured trial in one hook call, and "a trial is a file": a trial added as a
file in the trials folder is evaluated and carded with no code change.

The added trials are the shipped NCT05247203 file as a site would copy and edit it: a
new id and short title, and a changed threshold or one criterion fewer.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import requests
from cds_invariants import assert_valid_card
from click.testing import CliRunner
from hook_settings import AS_OF, SERVICE_URL
from tests.support.trial_files import trial_file_variant

from bench.servers import ServerProcess, free_port
from cds.cli import main
from cds.config import ConfigError
from cds.demo.requests import demo_request, demo_resources

FEEDBACK_URL = SERVICE_URL + "/feedback"
EVALUATION = "trialcds.evaluation"
SHIPPED_ID = "nct05247203"
# A site's copy that accepts hemoglobin down to 60 g/L instead of 85 g/L.
HB_60_ID = "site-hb60"
HB_60 = (
    ("id: nct05247203\n", f"id: {HB_60_ID}\n"),
    ('short_title: "telitacicept, SLE"', 'short_title: "telitacicept, SLE, Hb 60"'),
    ('comparator: "<", value: 85, unit: g/L', 'comparator: "<", value: 60, unit: g/L'),
)
# A site's copy without the investigator's-opinion criterion: one item fewer to confirm.
FEWER_ID = "site-no-e16"
FEWER = (
    ("id: nct05247203\n", f"id: {FEWER_ID}\n"),
    ('short_title: "telitacicept, SLE"', 'short_title: "telitacicept, SLE, no E16"'),
    ('''
  - id: E16
    kind: exclusion
    label: "Investigator's judgement"
    statement: investigator's opinion
    source: "Any condition or circumstance that, in the opinion of the investigator, may compromise the patient's ability to comply with the study protocol.."
    logic:
      manual: {confirm: "investigator's opinion on protocol compliance"}
''', "\n"),
)


def _trials_dir(tmp_path: Path, *variants: tuple[tuple[str, str], ...]) -> Path:
    """A trials folder: the shipped trial file and one edited copy per variant."""
    folder = tmp_path / "trials"
    trial_file_variant(folder, name=f"{SHIPPED_ID}.yaml")
    for i, edits in enumerate(variants):
        trial_file_variant(folder, *edits, name=f"site-{i}.yaml")
    return folder


def _trials_of(cards: list[dict]) -> list[str]:
    return [card["extension"][EVALUATION]["trial"] for card in cards]


def _statuses(card: dict) -> dict[str, str]:
    return {c["id"]: c["status"] for c in card["extension"][EVALUATION]["criteria"]}


def test_a_trial_added_as_a_file_is_evaluated_and_carded_with_its_own_threshold(make_app, hook_request, tmp_path):
    """Hemoglobin 70 g/L: below the shipped 85 g/L (no card), not below the site's 60 g/L (a card)."""
    client = make_app(TRIALS_DIR=str(_trials_dir(tmp_path, HB_60))).test_client()
    response = client.post(SERVICE_URL, json=hook_request("ineligible"))
    assert response.status_code == 200
    (card,) = response.json["cards"]
    assert_valid_card(card)
    assert _trials_of([card]) == [HB_60_ID]
    assert card["summary"].startswith("Possible candidate for clinical trial NCT05247203 (telitacicept, SLE, Hb 60)")
    assert _statuses(card)["E3.4"] == "not_met"
    evidence = next(c for c in card["extension"][EVALUATION]["criteria"] if c["id"] == "E3.4")["evidence"]
    assert [e["value"] for e in evidence] == ["7 g/dL"]


def test_discovery_is_one_service_whose_prefetch_covers_every_trial_of_the_folder(make_app, tmp_path):
    """A site's copy that reads its SELENA-SLEDAI under a local code: that code joins the one Observation search."""
    local = ("  selena_sledai: []\n", '  selena_sledai: [{system: "https://ehr.example.org/scores", code: "SLEDAI"}]\n')
    folder = _trials_dir(tmp_path, (*HB_60, local))
    (service,) = make_app(TRIALS_DIR=str(folder)).test_client().get("/cds-services").json["services"]
    assert "NCT05247203 (telitacicept, SLE); NCT05247203 (telitacicept, SLE, Hb 60)" in service["description"]
    asked = dict(parse_qsl(service["prefetch"]["observations"].split("?", 1)[1]))["combo-code"].split(",")
    assert "https://ehr.example.org/scores|SLEDAI" in asked
    assert "http://loinc.org|718-7" in asked


def test_the_cli_evaluates_every_trial_of_the_folder_in_id_order(tmp_path):
    resources = [r for group in demo_resources("ineligible", AS_OF).values() for r in group]
    path = tmp_path / "patient.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}))
    folder = _trials_dir(tmp_path, HB_60)
    run = CliRunner().invoke(main, ["evaluate", str(path), "--trials-dir", str(folder), "--as-of", AS_OF.isoformat(),
                                    "--format", "json"])
    assert run.exit_code == 0, run.stderr
    assert [(e["trial"], e["decision"]) for e in json.loads(run.stdout)] == [
        (SHIPPED_ID, "ineligible"), (HB_60_ID, "potentially_eligible"),
    ]


def test_one_card_per_trial_fewest_items_to_confirm_first_then_by_trial_id(make_app, hook_request, tmp_path):
    client = make_app(TRIALS_DIR=str(_trials_dir(tmp_path, HB_60, FEWER))).test_client()
    cards = client.post(SERVICE_URL, json=hook_request("eligible")).json["cards"]
    for card in cards:
        assert_valid_card(card)
    # site-no-e16 has one item fewer to confirm; the other two tie and come by trial id.
    assert _trials_of(cards) == [FEWER_ID, SHIPPED_ID, HB_60_ID]
    assert [c["summary"].rsplit(": ", 1)[1] for c in cards] == ["5 items to confirm", "6 items to confirm", "6 items to confirm"]


def test_cards_beyond_the_cap_are_named_in_the_last_card(make_app, hook_request, tmp_path):
    client = make_app(TRIALS_DIR=str(_trials_dir(tmp_path, HB_60, FEWER)), CARD_MAX="2").test_client()
    cards = client.post(SERVICE_URL, json=hook_request("eligible")).json["cards"]
    assert _trials_of(cards) == [FEWER_ID, SHIPPED_ID]
    assert "Also possible" not in cards[0]["detail"]
    assert cards[1]["detail"].endswith("\n\n**Also possible:** NCT05247203 (telitacicept, SLE, Hb 60)")


def test_the_default_cap_is_three_cards(make_app, hook_request, tmp_path):
    # A fourth copy whose id comes last: it ties with two others and is the one left out.
    extra = (("id: nct05247203\n", "id: site-zz-copy\n"), ('short_title: "telitacicept, SLE"', 'short_title: "extra copy"'))
    client = make_app(TRIALS_DIR=str(_trials_dir(tmp_path, HB_60, FEWER, extra))).test_client()
    cards = client.post(SERVICE_URL, json=hook_request("eligible")).json["cards"]
    assert _trials_of(cards) == [FEWER_ID, SHIPPED_ID, HB_60_ID]
    assert cards[2]["detail"].endswith("\n\n**Also possible:** NCT05247203 (extra copy)")


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_an_unusable_card_cap_stops_start_up(make_app, value):
    with pytest.raises(ConfigError, match="CARD_MAX must be"):
        make_app(CARD_MAX=value)


def test_feedback_is_reported_per_trial(make_app, hook_request, tmp_path):
    """Cards of two trials in one answer; the report counts each trial's feedback on its own."""
    database = tmp_path / "feedback.sqlite3"
    client = make_app(TRIALS_DIR=str(_trials_dir(tmp_path, HB_60)), FEEDBACK_DATABASE=str(database)).test_client()
    first, second = client.post(SERVICE_URL, json=hook_request("eligible")).json["cards"]
    when = "2026-06-15T10:05:31Z"
    reason = {"system": "urn:trialcds:override-reason", "code": "already-screened", "display": "Already screened for this trial"}
    feedback = [
        {"card": first["uuid"], "outcome": "accepted", "outcomeTimestamp": when,
         "acceptedSuggestions": [{"id": first["suggestions"][0]["uuid"]}]},
        {"card": second["uuid"], "outcome": "overridden", "outcomeTimestamp": when, "overrideReason": {"reason": reason}},
    ]
    assert client.post(FEEDBACK_URL, json={"feedback": feedback}).status_code == 200
    lines = CliRunner().invoke(main, ["feedback-report", "--database", str(database)]).stdout.splitlines()
    heading = {trial: next(i for i, line in enumerate(lines) if line.startswith(trial)) for trial in (SHIPPED_ID, HB_60_ID)}
    assert lines[heading[SHIPPED_ID] + 1].strip().startswith("accepted: 1")
    assert lines[heading[HB_60_ID] + 1].strip().startswith("overridden, already-screened")


def test_trialcds_serve_serves_a_trial_added_as_a_file(tmp_path):
    """The real command, as a site runs it: `trialcds serve` on a trials folder with the added file."""
    folder = _trials_dir(tmp_path, HB_60)
    port = free_port()
    server = ServerProcess(
        name="trialcds serve",
        command=[str(Path(sys.executable).with_name("trialcds")), "serve", "--port", str(port)],
        base_url=f"http://127.0.0.1:{port}",
        ready_url=f"http://127.0.0.1:{port}/health",
        log_path=tmp_path / "serve.log",
        env={
            "TRIALCDS_TRIALS_DIR": str(folder),
            "TRIALCDS_AUTH": "off",
            "TRIALCDS_AS_OF": AS_OF.isoformat(),
            "TRIALCDS_WORKERS": "1",
            "TRIALCDS_FEEDBACK_DATABASE": str(tmp_path / "feedback.sqlite3"),
        },
    )
    with server:
        discovery = requests.get(server.base_url + "/cds-services", timeout=10).json()
        assert "telitacicept, SLE, Hb 60" in discovery["services"][0]["description"]
        response = requests.post(server.base_url + SERVICE_URL, json=demo_request("ineligible", AS_OF), timeout=30)
    assert response.status_code == 200
    assert _trials_of(response.json()["cards"]) == [HB_60_ID]
