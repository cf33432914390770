"""The patient-view hook with NCT03543839 among four configured trials: the two shipped trial
files and a site's copy of each (another id and short title), as `TRIALCDS_TRIALS_DIR` holds
them. Every demo patient still gets an answer of valid cards; a woman recently diagnosed with
SLE (tests/support/nct03543839_records.candidate) gets NCT03543839's card, ranked with the
others, and none once a computable exclusion of it holds.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from cds_invariants import assert_valid_card
from fhir_builders import days_before, immunization
from hook_settings import SERVICE_URL
from nct03543839_records import candidate
from tests.support.trial_files import trial_file_variant

from cds.demo.requests import demo_names, searchset
from cds.record.templates import load_templates
from cds.trials.loader import TRIALS_DIR

EVALUATION = "trialcds.evaluation"
NCT03543839 = TRIALS_DIR / "nct03543839.yaml"
SITE_COPY = (("id: nct03543839\n", "id: site-early-sle\n"), ('short_title: "belimumab, early SLE"', 'short_title: "belimumab, early SLE, site copy"'))
SHIPPED_COPY = (("id: nct05247203\n", "id: site-telitacicept\n"), ('short_title: "telitacicept, SLE"', 'short_title: "telitacicept, SLE, site copy"'))


@pytest.fixture
def four_trials(tmp_path: Path) -> Path:
    folder = tmp_path / "trials"
    folder.mkdir()
    for shipped in sorted(TRIALS_DIR.glob("nct*.yaml")):
        shutil.copy(shipped, folder / shipped.name)
    trial_file_variant(folder, *SITE_COPY, name="site-early-sle.yaml", shipped=NCT03543839)
    trial_file_variant(folder, *SHIPPED_COPY, name="site-telitacicept.yaml")
    return folder


def _request(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A patient-view request whose prefetch holds `resources` under the discovery's keys."""
    prefetch: dict[str, Any] = {}
    for template in load_templates():
        found = [r for r in resources if r["resourceType"] == template.resource_type]
        prefetch[template.key] = (found[0] if found else None) if template.is_read else (searchset(found) if found else None)
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    return {
        "hookInstance": str(uuid.uuid4()),
        "hook": "patient-view",
        "context": {"userId": "Practitioner/example", "patientId": patient["id"]},
        "prefetch": prefetch,
    }


def _trials_of(cards: list[dict[str, Any]]) -> list[str]:
    return [card["extension"][EVALUATION]["trial"] for card in cards]


@pytest.mark.parametrize("name", demo_names())
def test_every_demo_patient_is_answered_with_four_trials(make_app, hook_request, four_trials, name) -> None:
    client = make_app(TRIALS_DIR=str(four_trials)).test_client()
    assert len(client.get("/cds-services").json["services"]) == 1
    response = client.post(SERVICE_URL, json=hook_request(name))
    assert response.status_code == 200
    cards = response.json["cards"]
    for card in cards:
        assert_valid_card(card)
    # The demo patients were diagnosed with SLE in 2019: not early lupus, so no NCT03543839 card.
    assert not {"nct03543839", "site-early-sle"} & set(_trials_of(cards))


def test_a_recently_diagnosed_patient_gets_the_early_lupus_cards(make_app, four_trials) -> None:
    client = make_app(TRIALS_DIR=str(four_trials), AS_OF="2026-11-25").test_client()
    response = client.post(SERVICE_URL, json=_request(candidate()))
    assert response.status_code == 200
    cards = response.json["cards"]
    for card in cards:
        assert_valid_card(card)
    trials = _trials_of(cards)
    first = trials.index("nct03543839")
    assert trials[first + 1] == "site-early-sle"  # the same 7 items to confirm, then by id
    assert cards[first]["summary"] == "Possible candidate for clinical trial NCT03543839 (belimumab, early SLE): 7 items to confirm"


def test_a_live_vaccine_withholds_the_candidate_card_until_it_clears(make_app, four_trials) -> None:
    client = make_app(TRIALS_DIR=str(four_trials), AS_OF="2026-11-25").test_client()
    vaccinated = [*candidate(), immunization("21", days_before(10))]
    cards = client.post(SERVICE_URL, json=_request(vaccinated)).json["cards"]
    early = [c for c in cards if c["extension"][EVALUATION]["trial"] == "nct03543839"]
    assert [c["extension"][EVALUATION]["eligible_from"] for c in early] == ["2026-12-16"]
    assert not early[0]["summary"].startswith("Possible candidate")
