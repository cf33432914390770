"""Start-up: settings checks, warnings for demo-only settings, `trialcds serve` wiring."""

from __future__ import annotations

import json
import logging
import re
import socket

import pytest
from click.testing import CliRunner
from hook_settings import SERVICE_URL

from cds.cli import main
from cds.commands import serve as serve_module
from cds.config import ConfigError
from cds.log import JsonLineFormatter


def test_pinned_evaluation_date_is_warned_about(make_app, caplog):
    with caplog.at_level(logging.WARNING, logger="cds"):
        make_app(AS_OF="2026-06-15")
    assert any("TRIALCDS_AS_OF" in record.getMessage() for record in caplog.records)


def test_no_warning_when_the_date_is_today(make_app, caplog):
    with caplog.at_level(logging.WARNING, logger="cds"):
        make_app(AS_OF=None)
    assert not any("TRIALCDS_AS_OF" in record.getMessage() for record in caplog.records)


def test_auth_off_is_warned_about(make_app, caplog):
    with caplog.at_level(logging.WARNING, logger="cds"):
        make_app(AUTH="off")
    assert any("TRIALCDS_AUTH=off" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"AS_OF": "15/06/2026"}, "AS_OF must be YYYY-MM-DD"),
        ({"FHIR_SERVERS": "ehr.example.org/fhir"}, "not an http(s) base URL"),
        ({"FHIR_DEADLINE_SECONDS": "soon"}, "FHIR_DEADLINE_SECONDS must be a number"),
        ({"CARD_ELIGIBLE_SOON": "maybe"}, "CARD_ELIGIBLE_SOON must be on or off"),
    ],
)
def test_unusable_setting_stops_start_up(make_app, setting, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        make_app(**setting)


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    from cds import create_app

    monkeypatch.setenv("TRIALCDS_AUTH", "off")
    monkeypatch.setenv("TRIALCDS_FHIR_SERVERS", "https://a.example.org/fhir/, https://b.example.org/r4")
    monkeypatch.setenv("TRIALCDS_CARD_ELIGIBLE_SOON_DAYS", "30")
    monkeypatch.setenv("TRIALCDS_FEEDBACK_DATABASE", str(tmp_path / "fb.sqlite3"))
    app = create_app()
    assert app.config["FHIR_SERVERS"] == ["https://a.example.org/fhir", "https://b.example.org/r4"]
    assert app.config["CARD_ELIGIBLE_SOON_DAYS"] == 30


def test_hook_call_log_line_is_one_json_object_with_safe_fields(demo_trial_client, hook_request, caplog):
    body = hook_request()
    with caplog.at_level(logging.INFO, logger="cds"):
        demo_trial_client.post(SERVICE_URL, json=body)
    (record,) = [r for r in caplog.records if r.getMessage() == "hook call"]
    line = JsonLineFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["hookInstance"] == body["hookInstance"]
    assert entry["outcome"] == "ok" and entry["cards"] == 1
    assert isinstance(entry["total_ms"], int) and isinstance(entry["gather_ms"], int)


def test_health_endpoint(client):
    assert client.get("/health").json == {"status": "ok"}


def test_serve_binds_loopback_8080_by_default_and_takes_host_and_port(monkeypatch):
    started, probed = [], []
    monkeypatch.setattr(serve_module.TrialCdsServer, "run", lambda self: started.append(self.options["bind"]))
    # Another service on this machine may hold 8080 right now: the probe is checked on its own below.
    monkeypatch.setattr(serve_module, "ensure_free", lambda host, port: probed.append(f"{host}:{port}"))
    assert CliRunner().invoke(main, ["serve"]).exit_code == 0
    assert CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--port", "9000"]).exit_code == 0
    assert started == probed == ["127.0.0.1:8080", "0.0.0.0:9000"]


def test_serve_refuses_a_port_in_use_at_once_naming_it(monkeypatch):
    """The README's new user started a second service on the port of the first (issue 11)."""
    started = []
    monkeypatch.setattr(serve_module.TrialCdsServer, "run", lambda self: started.append(self.options["bind"]))
    with socket.socket() as first_service:
        first_service.bind(("127.0.0.1", 0))
        first_service.listen()
        port = first_service.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert f"127.0.0.1:{port} is already in use" in result.output and "--port" in result.output
    assert started == []
