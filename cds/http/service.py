"""The `trial-eligibility` CDS service: its discovery entry and one hook call, end to end.

A call runs the stages in the data-flow order: gather the patient's resources
(prefetch or FHIR callbacks), build the record, evaluate every configured trial on
facts extracted once (`cds.pipeline.evaluate_trials`), turn the results into cards (at
most one per trial, ranked and capped: `cds.cards.ranked_cards`). Each stage raises its
own typed error; this module only orders them and logs the call's safe facts
(hookInstance, counts, timings, outcome).
"""

from __future__ import annotations

import datetime
import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from cds.cards import EVALUATION_EXTENSION, CardOptions, build_cards, prepare_referrals, ranked_cards
from cds.errors import PrefetchUnavailableError, TrialCdsError
from cds.feedback.store import FeedbackStore, IssuedCard
from cds.http.models import HookRequest
from cds.pipeline import evaluate_trials
from cds.record.prefetch import CallbackPolicy, FhirAccess, GatheredData, gather
from cds.record.templates import PrefetchTemplate, templates_for
from cds.trials.schema import Trial
from fhir_mappings.record import MissingData, PatientRecord, RecordError
from fhir_mappings.tables import load_tables

log = logging.getLogger("cds.service")

SERVICE_ID = "trial-eligibility"
# The log outcome of a call answered from part of the record (some data could not be had).
PARTIAL_DATA = "partial_data"
HOOK = "patient-view"
TITLE = "Clinical trial eligibility"


def _elapsed_ms(start: float) -> int:
    return round((time.perf_counter() - start) * 1000)


def _logged(missing: tuple[MissingData, ...]) -> list[dict[str, str]]:
    """What the log line says about data that could not be had: the key and why (never patient data)."""
    return [{"key": gap.key, "reason": gap.reason} for gap in missing]


@dataclass(frozen=True)
class TrialEligibilityService:
    """Everything one hook call needs, built once at start."""

    trials: tuple[Trial, ...]
    templates: tuple[PrefetchTemplate, ...]
    policy: CallbackPolicy
    card_options: CardOptions
    store: FeedbackStore

    @classmethod
    def build(
        cls, trials: dict[str, Trial], policy: CallbackPolicy, card_options: CardOptions, store: FeedbackStore
    ) -> TrialEligibilityService:
        """Derive the prefetch templates from what the trials' criteria read (types and lab codes);
        read every code table and validate every referral and reminder before the first call."""
        ordered = tuple(trials[key] for key in sorted(trials))
        load_tables()
        prepare_referrals(ordered)
        resource_types = {"Patient"}.union(*(trial.resource_types for trial in ordered))
        codes = frozenset().union(*(trial.observation_codes for trial in ordered))
        templates = templates_for(resource_types, codes, policy.search_count, policy.observation_code_parameter)
        return cls(ordered, templates, policy, card_options, store)

    def discovery_entry(self) -> dict[str, Any]:
        """This service as CDS Hooks 2.0 §Discovery describes it."""
        trials = "; ".join(f"{t.nct_id} ({t.short_title})" for t in self.trials)
        return {
            "hook": HOOK,
            "id": SERVICE_ID,
            "title": TITLE,
            "description": (
                f"Screens the patient's record against the eligibility criteria of {trials}, "
                "criterion by criterion, and shows one card per trial the patient may join."
            ),
            "prefetch": {template.key: template.query for template in self.templates},
            "usageRequirements": (
                "Prefetch keys the client does not send are read from fhirServer with "
                "fhirAuthorization (patient/*.read); the fhirServer must be on this service's allow-list."
            ),
        }

    def _record(self, hook_request: HookRequest) -> tuple[PatientRecord, GatheredData]:
        """The patient's record from prefetch and callbacks; types that could not be had are in `missing`.

        :raise PrefetchUnavailableError: the Patient cannot be had, or the resources are not one patient.
        """
        gathered = gather(
            self.templates,
            hook_request.context,
            hook_request.prefetch,
            hook_request.bundled,
            FhirAccess(hook_request.fhir_server, hook_request.access_token),
            self.policy,
        )
        try:
            record = PatientRecord.from_resources(gathered.resources)
        except RecordError as exc:
            raise PrefetchUnavailableError("the patient's record cannot be built", [str(exc)]) from exc
        if record.patient_id != hook_request.patient_id:
            raise PrefetchUnavailableError("the Patient resource received is not context.patientId")
        others = record.other_patients_resources()
        if others is not None:
            raise PrefetchUnavailableError("the resources received are not one patient's", [others])
        return replace(record, missing=gathered.missing), gathered

    def call(self, hook_request: HookRequest, as_of: datetime.date) -> dict[str, Any]:
        """Answer one patient-view call with `{"cards": [...]}`.

        Data that could not be had is named in the log line (key and reason, no patient
        data) and in each evaluation's `missing_data`; the cards say so.

        :raise PrefetchUnavailableError: the Patient cannot be had (412).
        :raise InvalidHookRequestError: a prefetch value does not fit its template (400).
        """
        fields: dict[str, Any] = {"hookInstance": hook_request.hook_instance, "service": SERVICE_ID}
        start = time.perf_counter()
        try:
            if hook_request.is_patient_facing:
                log.info("hook call", extra={"fields": {**fields, "outcome": "patient_facing_view", "cards": 0}})
                return {"cards": []}
            record, gathered = self._record(hook_request)
            fields.update(callbacks=gathered.callbacks, gather_ms=_elapsed_ms(start))
            if gathered.missing:
                fields["missing_data"] = _logged(gathered.missing)
            evaluated = time.perf_counter()
            results = [(result.trial, result.to_json()) for result in evaluate_trials(record, self.trials, as_of)]
            built = build_cards(results, as_of, self.card_options, user_id=hook_request.context.get("userId"))
            cards = ranked_cards(built, self.trials, self.card_options.max_cards)
            fields.update(evaluate_ms=_elapsed_ms(evaluated), trials=len(results), cards=len(cards))
        except TrialCdsError as error:
            if isinstance(error, PrefetchUnavailableError) and error.missing:
                fields["missing_data"] = _logged(error.missing)
            fields.update(outcome=error.code, total_ms=_elapsed_ms(start))
            log.info("hook call", extra={"fields": fields})
            raise
        self._remember(cards)
        fields.update(outcome=PARTIAL_DATA if gathered.missing else "ok", total_ms=_elapsed_ms(start))
        log.info("hook call", extra={"fields": fields})
        return {"cards": cards}

    def _remember(self, cards: list[dict[str, Any]]) -> None:
        """Record which trial each card is about and the override reasons it offered, for the feedback report.

        A store failure must not withhold cards from the clinician: it is logged and
        the feedback for these cards then shows no trial.
        """
        try:
            issued = [IssuedCard.of(card, card["extension"][EVALUATION_EXTENSION]["trial"]) for card in cards]
            self.store.record_cards(SERVICE_ID, issued)
        except SQLAlchemyError as exc:
            log.warning("cards not recorded", extra={"fields": {"error_class": type(exc).__name__}})
