"""HTTP endpoints of CDS Hooks 2.0: discovery, the service call, feedback.

Each view reads its input, calls one function, and returns JSON; failures are typed
errors that `cds.errors` maps to HTTP.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from cds.config import evaluation_date
from cds.errors import InvalidFeedbackError, UnknownServiceError
from cds.feedback.validation import parse_feedback
from cds.http.models import parse_hook_request, parse_json_object
from cds.http.service import HOOK, SERVICE_ID, TrialEligibilityService

bp = Blueprint("cds_services", __name__, url_prefix="/cds-services")
health_bp = Blueprint("health", __name__)

EXTENSION_KEY = "trialcds"


def get_service(service_id: str) -> TrialEligibilityService:
    """The service with this id.

    :raise UnknownServiceError: no such service (404).
    """
    service: TrialEligibilityService = current_app.extensions[EXTENSION_KEY]
    if service_id != SERVICE_ID:
        raise UnknownServiceError(f"no CDS service with id '{service_id}'")
    return service


def _request_body() -> bytes:
    """The request body, whole.

    A body without Content-Length (chunked, which gunicorn passes as a terminated
    stream) is read only up to MAX_CONTENT_LENGTH and comes back cut, not refused; a
    cut body must be a 413, not misread as invalid JSON.

    :raise RequestEntityTooLarge: the body reaches the configured limit (413).
    """
    body = request.get_data()
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(body) >= limit:
        raise RequestEntityTooLarge()
    return body


@bp.get("")
def discovery() -> dict[str, Any]:
    """List the services (CDS Hooks 2.0 §Discovery)."""
    service: TrialEligibilityService = current_app.extensions[EXTENSION_KEY]
    return {"services": [service.discovery_entry()]}


@bp.post("/<service_id>")
def call_service(service_id: str) -> dict[str, Any]:
    """Answer a hook call with cards (CDS Hooks 2.0 §Calling a CDS Service)."""
    service = get_service(service_id)
    hook_request = parse_hook_request(_request_body(), HOOK)
    return service.call(hook_request, evaluation_date(current_app.config))


@bp.post("/<service_id>/feedback")
def feedback(service_id: str) -> dict[str, Any]:
    """Store card feedback (CDS Hooks 2.0 §Feedback); the same feedback twice is stored once."""
    service = get_service(service_id)
    items = parse_feedback(parse_json_object(_request_body(), "feedback body", InvalidFeedbackError))
    service.store.add_feedback(service_id, items)
    return {}


@health_bp.get("/health")
def health() -> dict[str, str]:
    """Liveness for the container health check; touches no patient data."""
    return {"status": "ok"}
