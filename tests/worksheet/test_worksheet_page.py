"""What the worksheet page says for each demo patient, read from the HTML the service sends
(the browser tests check the same pages as a coordinator sees them)."""

from __future__ import annotations

import html
import re

import pytest
from trial_files import shipped_alone
from worksheet_support import AS_OF, follow_launch

from cds.demo.requests import demo_request
from cds.trials.loader import load_trials
from cds.worksheet.view import patient_view


def worksheet_text(app, ehr, patient_id: str) -> str:
    response = follow_launch(app.test_client(), ehr, patient_id)
    assert response.status_code == 200
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def test_every_criterion_shows_its_label_and_verbatim_source_sentence(app, ehr, routed):
    page = worksheet_text(app, ehr, "demo-eligible")
    for trial in load_trials().values():
        assert trial.nct_id in page
        for criterion in trial.criteria:
            assert criterion.label in page
            assert re.sub(r"\s+", " ", criterion.source) in page


def test_a_candidate_sees_the_decision_evidence_and_items_to_confirm(app, ehr, routed):
    page = worksheet_text(app, ehr, "demo-eligible")
    assert "✓ Possible candidate" in page and "6 items to confirm at screening" in page
    # evidence: value, date, code system and code, and the resource it came from, in that order
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Systemic lupus erythematosus (active) 2019-11-19 SNOMED CT 55464009 Condition/demo-eligible-sle" in text
    assert "12.8 g/dL" in page and "LOINC 718-7" in page
    assert "Informed consent</strong> (I1): confirm at screening: informed consent signed" in page
    assert "Washout timeline" not in page


def test_a_washout_shows_the_blocking_criterion_and_its_dates_on_a_timeline(app, ehr, routed):
    page = worksheet_text(app, ehr, "demo-washout")
    assert "◷ Not eligible until 2026-07-04" in page
    assert "Washout timeline" in page
    assert "Live vaccine in the last 28 days</strong> (E8): last record 2026-06-05, blocks until 2026-07-04" in page
    assert "May become a candidate from 2026-07-04" in page
    assert "✗ Blocks until 2026-07-04" in page


def test_an_ineligible_patient_sees_what_blocks(app, ehr, routed):
    page = worksheet_text(app, ehr, "demo-ineligible")
    assert "✗ Not eligible" in page and "Blocked by: Hemoglobin below 85 g/L" in page
    assert "7.0 g/dL" in page or "7 g/dL" in page


def test_missing_labs_are_unknown_and_listed_to_confirm_never_decided(app, ehr, routed):
    page = worksheet_text(app, ehr, "demo-missing-labs")
    assert "✓ Possible candidate" in page and "13 items to confirm at screening" in page
    for label, reason in (
        ("Hemoglobin below 85 g/L", "no hemoglobin result in the last 90 days"),
        ("Positive ANA or anti-dsDNA", "no ANA/anti-dsDNA result"),
        ("Platelets below 50×10⁹/L", "no platelets result in the last 90 days"),
    ):
        assert f"{label}</strong>" in page and reason in page


@pytest.mark.parametrize("name", ["eligible", "washout"])
def test_every_card_carries_the_worksheets_smart_launch_link(make_app, tmp_path, name):
    # NCT05247203 alone, the trial the demo patients are written for: one card per call.
    app = make_app(PUBLIC_BASE_URL="https://trialcds.example.org/", TRIALS_DIR=str(shipped_alone(tmp_path / "demo-trial")))
    (card,) = app.test_client().post("/cds-services/trial-eligibility", json=demo_request(name, AS_OF)).json["cards"]
    assert {"label": "Open the eligibility worksheet", "url": "https://trialcds.example.org/worksheet/launch", "type": "smart"} in card["links"]


@pytest.mark.parametrize(
    ("death", "shown"),
    [({"deceasedDateTime": "2026-03-02T10:00:00Z"}, "2026-03-02"), ({"deceasedBoolean": True}, "yes"), ({}, None)],
)
def test_the_patient_header_says_when_the_record_marks_the_patient_deceased(death, shown):
    patient = {"resourceType": "Patient", "id": "p1", "name": [{"given": ["Ana"], "family": "Ruiz"}], **death}
    view = patient_view(patient)
    assert (view.name, view.reference, view.deceased) == ("Ana Ruiz", "Patient/p1", shown)
