"""What the cards suggest, as FHIR R4 resources an EHR can create (issue 13, "Actions that work").

The referral is a ServiceRequest with requester (context.userId), authoredOn (the
evaluation date), the study team (note, and performer when the trial file gives its
reference), reasonCode and the items to confirm in words. The "may become a candidate"
card suggests a CommunicationRequest dated the day the patient may become a candidate.
Both are validated with the fhir.resources R4B models here, per card, as a client would.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import replace

import pytest
from fhir.resources.R4B.communicationrequest import CommunicationRequest
from fhir.resources.R4B.servicerequest import ServiceRequest

from cds.cards import CardOptions, build_cards, prepare_referrals
from cds.trials.schema import StudyTeam

OPTIONS = CardOptions(eligible_soon=True, eligible_soon_days=60)
USER = "Practitioner/dr-ana-lima"


def _suggestion(card: dict) -> tuple[dict, dict]:
    """The card's one suggestion and the resource its one action creates."""
    assert card["selectionBehavior"] == "at-most-one"
    (suggestion,) = card["suggestions"]
    assert suggestion["label"] and str(uuid.UUID(suggestion["uuid"])) == suggestion["uuid"]
    assert suggestion["uuid"] != card["uuid"]
    (action,) = suggestion["actions"]
    assert action["type"] == "create" and action["description"]
    return suggestion, action["resource"]


def _referral(trial, evaluation, as_of, user_id=USER) -> ServiceRequest:
    (card,) = build_cards([(trial, evaluation)], as_of, OPTIONS, user_id=user_id)
    return ServiceRequest.model_validate(_suggestion(card)[1])


def _notes(resource) -> list[str]:
    return [note.text for note in resource.note or []]


def test_referral_is_a_draft_proposal_from_the_user_on_the_evaluation_date(as_of, trial, potentially_eligible):
    referral = _referral(trial, potentially_eligible, as_of)
    assert referral.status == "draft" and referral.intent == "proposal"
    assert referral.subject.reference == "Patient/demo-eligible"
    assert referral.requester.reference == USER
    assert str(referral.authoredOn) == "2026-06-15"
    assert referral.code.text == "Referral for screening for clinical trial NCT05247203 (telitacicept, SLE)"
    assert [c.text for c in referral.reasonCode] == [
        "Possible candidate for clinical trial NCT05247203 (Telitacicept Study in Chinese Subjects With SLE)"
    ]
    assert referral.category[0].coding[0].code == "3457005"


def test_referral_names_the_team_the_facts_and_the_items_to_confirm_in_words(as_of, trial, potentially_eligible):
    notes = _notes(_referral(trial, potentially_eligible, as_of))
    assert notes == [
        "Study team: NCT05247203 (telitacicept, SLE) study team.",
        "In the record: SLE diagnosis: Systemic lupus erythematosus (active), 2019-03-02; "
        "Age 18 to 65: age 35 at 2026-06-15 (within 18-65).",
        "To confirm at screening: Informed consent; SELENA-SLEDAI score of 8 or more. "
        "To rule out at screening: Investigator's judgement.",
    ]


def test_a_site_team_in_the_ehr_is_the_referral_performer_and_its_contact_is_in_the_note(as_of, trial, potentially_eligible):
    team = StudyTeam(name="Rheumatology research team", contact="ext. 4417", reference="CareTeam/rheum-research")
    referral = _referral(replace(trial, study_team=team), potentially_eligible, as_of)
    assert [(p.reference, p.display) for p in referral.performer] == [("CareTeam/rheum-research", "Rheumatology research team")]
    assert _notes(referral)[0] == "Study team: Rheumatology research team; contact: ext. 4417."


def test_a_team_not_in_the_ehr_is_named_in_the_note_only(as_of, trial, potentially_eligible):
    referral = _referral(trial, potentially_eligible, as_of)
    assert referral.performer is None


@pytest.mark.parametrize(
    "user_id",
    [None, "Patient/demo-eligible", "RelatedPerson/mum", "Device/kiosk", "Practitioner/", "https://ehr/Practitioner/1", 42],
)
def test_without_a_clinician_in_context_the_referral_has_no_requester_and_says_so(as_of, trial, potentially_eligible, user_id):
    referral = _referral(trial, potentially_eligible, as_of, user_id)
    assert referral.requester is None
    assert _notes(referral)[-1].startswith("Requester not set: the EHR did not say which clinician saw this suggestion")


def test_a_practitioner_role_is_a_requester_too(as_of, trial, potentially_eligible):
    assert _referral(trial, potentially_eligible, as_of, "PractitionerRole/rheum-1").requester.reference == "PractitionerRole/rheum-1"


def test_the_may_become_a_candidate_card_suggests_a_dated_reminder(as_of, trial, ineligible_until):
    day = as_of + datetime.timedelta(days=19)
    (card,) = build_cards([(trial, ineligible_until(day))], as_of, OPTIONS, user_id=USER)
    suggestion, resource = _suggestion(card)
    assert suggestion["label"] == f"Remind me on {day.isoformat()} to check NCT05247203 again"
    reminder = CommunicationRequest.model_validate(resource)
    assert reminder.status == "draft"
    assert reminder.category[0].coding[0].code == "reminder"
    assert str(reminder.occurrenceDateTime) == day.isoformat()
    assert str(reminder.authoredOn) == as_of.isoformat()
    assert reminder.subject.reference == "Patient/demo-eligible"
    assert reminder.requester.reference == USER and [r.reference for r in reminder.recipient] == [USER]
    (payload,) = reminder.payload
    assert payload.contentString == (
        f"From {day.isoformat()} the patient may become a candidate for clinical trial NCT05247203 (telitacicept, SLE). "
        "Check the record again then and, if nothing else has changed, refer to: NCT05247203 (telitacicept, SLE) study team. "
        f"Live vaccine in the last 28 days: zoster vaccine, live, 2026-06-05; clears on {day.isoformat()}."
    )
    assert reminder.reasonCode[0].text.endswith(f"from {day.isoformat()}")
    assert reminder.note is None


def test_a_reminder_without_a_clinician_in_context_has_no_recipient_and_says_so(as_of, trial, ineligible_until):
    (card,) = build_cards([(trial, ineligible_until(as_of + datetime.timedelta(days=5)))], as_of, OPTIONS)
    reminder = CommunicationRequest.model_validate(_suggestion(card)[1])
    assert reminder.requester is None and reminder.recipient is None
    assert _notes(reminder) == [
        "Requester and recipient not set: the EHR did not say which clinician saw this suggestion; "
        "choose who receives the reminder."
    ]


def test_templates_are_validated_at_start_up_and_a_broken_one_stops_it(trial):
    prepare_referrals([trial])  # the shipped wording and codes validate
    # An empty team name, past the trial file's own check: the performer's display would be an
    # empty FHIR string, which R4 forbids; validation at start-up, not on a card, finds it.
    broken = replace(trial, nct_id="NCT-broken", study_team=StudyTeam.model_construct(name="", contact="", reference="CareTeam/x"))
    with pytest.raises(ValueError, match="display"):
        prepare_referrals([broken])
