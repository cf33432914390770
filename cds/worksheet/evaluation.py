"""Read the launched patient's record with the EHR's token and evaluate every configured trial.

The same path as a hook call without prefetch: the service's prefetch templates, its
fetch code (`cds.record.prefetch.gather`) and callback policy, `cds.pipeline`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cds.engine.evaluate import TrialResult
from cds.errors import InvalidHookRequestError, PrefetchUnavailableError
from cds.http.service import TrialEligibilityService
from cds.pipeline import evaluate_trials
from cds.record.prefetch import FhirAccess, gather
from fhir_mappings.record import PatientRecord, RecordError


class RecordUnavailableError(Exception):
    """The patient's record could not be read in full; `reasons` say what is missing, without patient data."""

    def __init__(self, reasons: tuple[str, ...]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class Evaluated:
    """The patient's record and every trial's result for it."""

    record: PatientRecord
    results: tuple[TrialResult, ...]


def evaluate_patient(
    service: TrialEligibilityService, fhir_base: str, access_token: str, patient_id: str, as_of: datetime.date
) -> Evaluated:
    """Fetch the patient's resources from `fhir_base` and evaluate every trial at `as_of`.

    :raise RecordUnavailableError: a search failed or the record cannot be built.
    """
    try:
        gathered = gather(
            service.templates, {"patientId": patient_id}, {}, {}, FhirAccess(fhir_base, access_token), service.policy
        )
        if gathered.missing:  # the worksheet shows only whole records (a missing Patient raised above)
            raise RecordUnavailableError(
                tuple(f"prefetch '{m.key}' ({m.resource_type} search): {m.reason}" for m in gathered.missing)
            )
        record = PatientRecord.from_resources(gathered.resources)
    except PrefetchUnavailableError as exc:
        raise RecordUnavailableError(exc.details or (exc.message,)) from exc
    except (InvalidHookRequestError, RecordError) as exc:
        raise RecordUnavailableError((str(exc),)) from exc
    if record.patient_id != patient_id:
        raise RecordUnavailableError(("the FHIR server returned another patient than the one launched",))
    others = record.other_patients_resources()
    if others is not None:
        raise RecordUnavailableError((f"the FHIR server's searches returned {others}",))
    return Evaluated(record, tuple(evaluate_trials(record, service.trials, as_of)))
