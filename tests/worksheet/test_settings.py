"""Worksheet settings: read from TRIALCDS_* as Flask reads them, and refused with a message when unusable."""

from __future__ import annotations

import pytest

from cds.config import ConfigError
from cds.worksheet.settings import WorksheetSettings

BASE = {"FHIR_SERVERS": ["https://ehr.example.org/fhir"]}


def test_defaults_are_a_public_client_with_a_fifteen_minute_session(tmp_path):
    settings = WorksheetSettings.from_config(BASE, str(tmp_path))
    assert (settings.client_id, settings.client_secret, settings.session_seconds) == ("trialcds-worksheet", None, 900)
    assert settings.database_url == f"sqlite:///{tmp_path / 'worksheet-sessions.sqlite3'}"
    assert settings.allowed_issuers == ("https://ehr.example.org/fhir",)


def test_an_id_and_secret_of_digits_stay_strings(tmp_path):
    # TRIALCDS_WORKSHEET_CLIENT_ID=12345 reaches the config as the number 12345 (from_prefixed_env).
    settings = WorksheetSettings.from_config(
        {**BASE, "WORKSHEET_CLIENT_ID": 12345, "WORKSHEET_CLIENT_SECRET": 678, "PUBLIC_BASE_URL": "https://t.example/"},
        str(tmp_path),
    )
    assert (settings.client_id, settings.client_secret) == ("12345", "678")
    assert settings.public_base_url == "https://t.example"


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"WORKSHEET_CLIENT_ID": " "}, "WORKSHEET_CLIENT_ID must be a non-empty string"),
        ({"WORKSHEET_SESSION_SECONDS": "soon"}, "WORKSHEET_SESSION_SECONDS must be a number"),
        ({"WORKSHEET_SESSION_SECONDS": 0}, "WORKSHEET_SESSION_SECONDS must be positive"),
    ],
)
def test_an_unusable_setting_stops_start_up_with_its_name(tmp_path, setting, message):
    with pytest.raises(ConfigError, match=message):
        WorksheetSettings.from_config({**BASE, **setting}, str(tmp_path))
