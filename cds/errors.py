"""Typed errors, each with its HTTP status and a stable code, and the one handler.

Stages raise these near the cause; only this module turns them into HTTP answers.
Bodies are FHIR OperationOutcomes (the CDS Hooks 3.0 ballot's advice for non-2xx
answers, harmless in 2.0) and never hold stack traces, request bodies or patient data.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from fhir_mappings.record import MissingData

log = logging.getLogger("cds.errors")

ERROR_CODE_SYSTEM = "urn:trialcds:error"


class TrialCdsError(Exception):
    """Base of every error the service answers with; 500 if not more specific."""

    status = 500
    code = "TRIALCDS-INTERNAL-500"
    issue_type = "exception"  # FHIR IssueType

    def __init__(self, message: str, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = tuple(details)


class InvalidHookRequestError(TrialCdsError):
    """The hook request is malformed (CDS Hooks 2.0 §Calling a CDS Service)."""

    status = 400
    code = "TRIALCDS-REQUEST-400"
    issue_type = "invalid"


class InvalidFeedbackError(TrialCdsError):
    """The feedback body is malformed (CDS Hooks 2.0 §Feedback)."""

    status = 400
    code = "TRIALCDS-FEEDBACK-400"
    issue_type = "invalid"


class UnknownServiceError(TrialCdsError):
    """No CDS service has the requested id."""

    status = 404
    code = "TRIALCDS-SERVICE-404"
    issue_type = "not-found"


class RequestTooLargeError(TrialCdsError):
    """The request body is over the configured size limit."""

    status = 413
    code = "TRIALCDS-REQUEST-413"
    issue_type = "too-costly"


class PrefetchUnavailableError(TrialCdsError):
    """Data the evaluation needs cannot be had (CDS Hooks 2.0 §Prefetch Template: 412).

    `details` lists each missing piece of data and why, one string each; `missing`
    holds the same as (key, resource type, reason) records, for the log line.
    """

    status = 412
    code = "TRIALCDS-PREFETCH-412"
    issue_type = "incomplete"

    def __init__(self, message: str, details: Sequence[str] = (), missing: Sequence[MissingData] = ()) -> None:
        super().__init__(message, details)
        self.missing = tuple(missing)


def _outcome(error: TrialCdsError) -> dict:
    issues = [error.message, *error.details]
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": error.issue_type,
                "details": {"coding": [{"system": ERROR_CODE_SYSTEM, "code": error.code}]},
                "diagnostics": text,
            }
            for text in issues
        ],
    }


def error_response(error: TrialCdsError) -> Response:
    """Build the JSON answer for one typed error."""
    response = jsonify(_outcome(error))
    response.status_code = error.status
    return response


def _http_error(exc: HTTPException) -> TrialCdsError:
    """Map werkzeug's own errors (routing, method, size) to typed errors."""
    if isinstance(exc, RequestEntityTooLarge):
        return RequestTooLargeError("request body is larger than the configured limit (MAX_CONTENT_LENGTH)")
    if exc.code == 404:
        return UnknownServiceError("no such endpoint")
    generic = TrialCdsError(exc.description or exc.name)
    generic.status = exc.code or 500
    generic.code = f"TRIALCDS-HTTP-{generic.status}"
    generic.issue_type = "processing"
    return generic


def register_error_handlers(app: Flask) -> None:
    """Answer every error as JSON: typed errors with their status, anything else 500."""

    @app.errorhandler(TrialCdsError)
    def _typed(error: TrialCdsError) -> Response:
        log.info("request failed", extra={"fields": {"error_code": error.code, "status": error.status}})
        return error_response(error)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        return _typed(_http_error(exc))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # Class name only: the message of an arbitrary exception may hold patient data.
        log.error("unexpected error", extra={"fields": {"error_class": type(exc).__name__}})
        return error_response(TrialCdsError("internal error"))
