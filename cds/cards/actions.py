"""What a card suggests, as FHIR R4 resources an EHR can create: the referral to the study
team (ServiceRequest) and the dated reminder of the "may become a candidate" card
(CommunicationRequest; why not a Task: docs/design.md, "Cards").

Validating a whole resource with fhir.resources cost ~1 ms per card, the largest single
cost of a hook call after parsing (docs/performance.md). So each trial's two resources
are validated once, at start-up (`prepare_referrals`), as templates whose per-patient
parts are slots of FHIR primitive types: Reference.reference strings, dateTimes and
strings. A card fills them with values of those types only (a `Patient/<FHIR id>` from
the evaluation, a `Practitioner|PractitionerRole/<FHIR id>` from the hook's
context.userId, ISO dates, non-empty texts) and leaves out the optional elements it has
no value for, so the validated shape holds for every card.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson
from fhir.resources.R4B.communicationrequest import CommunicationRequest
from fhir.resources.R4B.servicerequest import ServiceRequest

from cds.cards.model import Evaluation, TrialInfo, blocking, settings
from cds.cards.wording import Fact, blocker_text, confirm_note, facts_note

Resource = dict[str, Any]
# context.userId of a clinician (CDS Hooks 2.0 patient-view: "[ResourceType]/[id]"),
# the types ServiceRequest.requester and CommunicationRequest.requester/recipient accept,
# with a FHIR R4 id (hl7.org/fhir/R4/datatypes.html#id).
_CLINICIAN = re.compile(r"(Practitioner|PractitionerRole)/[A-Za-z0-9\-.]{1,64}")
_PATIENT_SLOT = "Patient/slot"
_USER_SLOT = "Practitioner/slot"
_DATE_SLOT = "2000-01-01"
_TEXT_SLOT = "slot"
# What a resource says when the hook named no clinician (it then has no requester).
NO_REQUESTER = (
    "Requester not set: the EHR did not say which clinician saw this suggestion; "
    "the clinician who signs it is its requester."
)
NO_RECIPIENT = (
    "Requester and recipient not set: the EHR did not say which clinician saw this suggestion; "
    "choose who receives the reminder."
)


def clinician(user_id: Any) -> str | None:
    """The hook's context.userId as a requester reference, when it names a practitioner; else None."""
    return user_id if isinstance(user_id, str) and _CLINICIAN.fullmatch(user_id) else None


@dataclass(frozen=True)
class TrialTexts:
    """The trial's words a suggested resource carries: the key its template is kept under."""

    nct_id: str
    short_title: str
    title: str
    team_name: str
    team_contact: str
    team_reference: str | None

    @classmethod
    def of(cls, trial: TrialInfo) -> TrialTexts:
        team = trial.study_team
        return cls(
            trial.nct_id,
            trial.short_title,
            trial.title,
            team.name if team else f"{trial.nct_id} study team",
            team.contact if team else "",
            team.reference if team else None,
        )


def _validated(model: type[ServiceRequest] | type[CommunicationRequest], resource: Resource) -> bytes:
    """The resource as fhir.resources dumps it once validated, as JSON bytes (copied per card).

    :raise pydantic.ValidationError: the resource is not valid R4 (a bug, not input).
    """
    return orjson.dumps(model.model_validate(resource).model_dump(mode="json", exclude_none=True))


def _request_slots(resource_type: str, chosen: dict[str, Any]) -> Resource:
    """What both suggested requests hold: status and category (cards.yaml), and slots for
    the subject, the date written, the requester and the notes."""
    return {
        "resourceType": resource_type,
        "status": chosen["status"],
        "category": [{"coding": [dict(chosen["category"])]}],
        "subject": {"reference": _PATIENT_SLOT},
        "authoredOn": _DATE_SLOT,
        "requester": {"reference": _USER_SLOT},
        "note": [{"text": _TEXT_SLOT}],
    }


@cache
def _referral_template(texts: TrialTexts) -> bytes:
    """A trial's referral with slots, validated as a FHIR R4 ServiceRequest once."""
    chosen = settings()["referral"]
    resource: Resource = {
        **_request_slots("ServiceRequest", chosen),
        "intent": chosen["intent"],
        "code": {"text": f"Referral for screening for clinical trial {texts.nct_id} ({texts.short_title})"},
        "reasonCode": [{"text": f"Possible candidate for clinical trial {texts.nct_id} ({texts.title})"}],
    }
    if texts.team_reference:
        resource["performer"] = [{"reference": texts.team_reference, "display": texts.team_name}]
    return _validated(ServiceRequest, resource)


@cache
def _reminder_template(texts: TrialTexts) -> bytes:
    """A trial's reminder with slots, validated as a FHIR R4 CommunicationRequest once."""
    chosen = settings()["reminder"]
    resource: Resource = {
        **_request_slots("CommunicationRequest", chosen),
        "priority": chosen["priority"],
        "payload": [{"contentString": _TEXT_SLOT}],
        "occurrenceDateTime": _DATE_SLOT,
        "recipient": [{"reference": _USER_SLOT}],
        "reasonCode": [{"text": _TEXT_SLOT}],
    }
    return _validated(CommunicationRequest, resource)


def prepare_referrals(trials: Iterable[TrialInfo]) -> None:
    """Validate each trial's referral and reminder now, at start-up, rather than on its first card."""
    for trial in trials:
        texts = TrialTexts.of(trial)
        _referral_template(texts)
        _reminder_template(texts)


def _team_note(texts: TrialTexts) -> str:
    contact = f"; contact: {texts.team_contact}" if texts.team_contact else ""
    return f"Study team: {texts.team_name}{contact}."


def _with_user(resource: Resource, user: str | None, fields: tuple[str, ...]) -> None:
    """Set each reference field to the user, or leave it out when the hook named no clinician."""
    for field in fields:
        if user is None:
            del resource[field]
        elif isinstance(resource[field], list):
            resource[field] = [{"reference": user}]
        else:
            resource[field] = {"reference": user}


def referral(trial: TrialInfo, evaluation: Evaluation, facts: list[Fact], user: str | None) -> Resource:
    """The draft referral to the study team: authored on the evaluation date, requested by
    the clinician who saw the card, with the facts and every item to confirm in words."""
    texts = TrialTexts.of(trial)
    resource: Resource = orjson.loads(_referral_template(texts))
    resource["subject"] = {"reference": evaluation["patient"]}
    resource["authoredOn"] = evaluation["as_of"]
    _with_user(resource, user, ("requester",))
    notes = [_team_note(texts), facts_note(facts), confirm_note(evaluation), None if user else NO_REQUESTER]
    resource["note"] = [{"text": note} for note in notes if note]
    return resource


def reminder(trial: TrialInfo, evaluation: Evaluation, user: str | None) -> Resource:
    """The draft reminder, dated the day the patient may become a candidate, to the
    clinician who saw the card."""
    texts = TrialTexts.of(trial)
    day = evaluation["eligible_from"]
    why = " ".join(blocker_text(c) for c in blocking(evaluation))
    resource: Resource = orjson.loads(_reminder_template(texts))
    resource["subject"] = {"reference": evaluation["patient"]}
    resource["occurrenceDateTime"] = day
    resource["authoredOn"] = evaluation["as_of"]
    resource["payload"] = [
        {
            "contentString": (
                f"From {day} the patient may become a candidate for clinical trial {texts.nct_id} "
                f"({texts.short_title}). Check the record again then and, if nothing else has changed, "
                f"refer to: {texts.team_name}. {why}"
            ).strip()
        }
    ]
    resource["reasonCode"] = [
        {"text": f"May become a candidate for clinical trial {texts.nct_id} ({texts.title}) from {day}"}
    ]
    _with_user(resource, user, ("requester", "recipient"))
    if user:
        del resource["note"]
    else:
        resource["note"] = [{"text": NO_RECIPIENT}]
    return resource
