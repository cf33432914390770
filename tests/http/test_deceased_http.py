"""A deceased patient gets no card of any kind (ground rules, "Patient deceased"):
neither the candidate card nor the "may become a candidate from" card."""

from __future__ import annotations

import pytest
from hook_settings import SERVICE_URL


@pytest.mark.parametrize("name", ["eligible", "washout"])
@pytest.mark.parametrize(
    "deceased",
    [{"deceasedBoolean": True}, {"deceasedDateTime": "2021-03-14T09:12:00-05:00"}],
    ids=["deceasedBoolean", "deceasedDateTime"],
)
def test_deceased_patient_gets_no_card(demo_trial_client, hook_request, name: str, deceased: dict) -> None:
    """The demo patients that get a card alive ("eligible", "washout") get none once the
    prefetched Patient says they died (Epic sends deceasedBoolean, Synthea a dateTime)."""
    alive = demo_trial_client.post(SERVICE_URL, json=hook_request(name))
    assert len(alive.json["cards"]) == 1
    body = hook_request(name)
    body["prefetch"]["patient"].update(deceased)
    response = demo_trial_client.post(SERVICE_URL, json=body)
    assert response.status_code == 200
    assert response.json == {"cards": []}
