"""The hook request on the wire -> a checked `HookRequest` (camelCase stays here).

CDS Hooks 2.0 §Calling a CDS Service. Unknown fields are ignored; fields the service
relies on are checked, and a problem is an `InvalidHookRequestError` naming it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from cds.errors import InvalidHookRequestError, TrialCdsError
from cds.record.fhir_client import MalformedBundleError, SearchPage, read_search_page

Resource = dict[str, Any]

# FHIR R4 `id` datatype (hl7.org/fhir/R4/datatypes.html#id); also keeps ids safe in URLs.
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
# context.userId forms of a patient or proxy viewing their own record (patient-view hook).
PATIENT_FACING_USER_TYPES = ("Patient/", "RelatedPerson/")


@dataclass(frozen=True)
class HookRequest:
    """A checked patient-view call. `access_token` is transient: never log or keep it."""

    hook: str
    hook_instance: str
    patient_id: str
    context: dict[str, Any]
    fhir_server: str | None
    access_token: str | None
    prefetch: dict[str, Resource | None]
    # What each prefetched Bundle holds, by key, read out once here (OperationOutcome entries
    # left out, and named when they say the search failed), so the record is built without
    # walking the entries again.
    bundled: dict[str, SearchPage]

    @property
    def is_patient_facing(self) -> bool:
        """True when a patient or proxy, not a clinician, opened the record."""
        user_id = self.context.get("userId")
        return isinstance(user_id, str) and user_id.startswith(PATIENT_FACING_USER_TYPES)


def parse_json_object(
    body: bytes, what: str, error: type[TrialCdsError] = InvalidHookRequestError
) -> dict[str, Any]:
    """Parse a request body that must be one JSON object.

    :raise error: not JSON, or not an object.
    """
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise error(f"{what} is not valid JSON") from exc
    if not isinstance(data, dict):
        raise error(f"{what} must be a JSON object")
    return data


def _required_string(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidHookRequestError(f"{name} is required and must be a non-empty string")
    return value


def _hook_instance(data: dict[str, Any]) -> str:
    value = _required_string(data, "hookInstance")
    try:
        uuid.UUID(value)
    except ValueError as exc:
        raise InvalidHookRequestError("hookInstance must be a UUID") from exc
    return value


def _fhir_server(data: dict[str, Any]) -> str | None:
    value = data.get("fhirServer")
    if value is None:
        return None
    problem = InvalidHookRequestError("fhirServer must be an http(s) URL")
    if not isinstance(value, str):
        raise problem
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - read only to raise on a port out of range
    except ValueError as exc:  # an unclosed IPv6 bracket, a port out of range
        raise problem from exc
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise problem
    return value


def _access_token(data: dict[str, Any], fhir_server: str | None) -> str | None:
    authorization = data.get("fhirAuthorization")
    if authorization is None:
        return None
    if not isinstance(authorization, dict):
        raise InvalidHookRequestError("fhirAuthorization must be an object")
    if fhir_server is None:
        raise InvalidHookRequestError("fhirAuthorization requires fhirServer")
    token = authorization.get("access_token")
    if not isinstance(token, str) or not token:
        raise InvalidHookRequestError("fhirAuthorization.access_token is required and must be a non-empty string")
    token_type = authorization.get("token_type", "Bearer")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise InvalidHookRequestError("fhirAuthorization.token_type must be Bearer")
    return token


def _prefetch(data: dict[str, Any], patient_id: str) -> tuple[dict[str, Resource | None], dict[str, SearchPage]]:
    """The prefetch values, checked, and what each Bundle among them holds."""
    prefetch = data.get("prefetch")
    if prefetch is None:
        return {}, {}
    if not isinstance(prefetch, dict):
        raise InvalidHookRequestError("prefetch must be an object")
    bundled: dict[str, SearchPage] = {}
    for key, value in prefetch.items():
        if value is None:
            continue
        if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
            raise InvalidHookRequestError(f"prefetch '{key}' is not a FHIR resource (an object with resourceType) or null")
        if value["resourceType"] == "Bundle":
            try:
                page = bundled[key] = read_search_page(value)
            except MalformedBundleError as exc:
                raise InvalidHookRequestError(f"prefetch '{key}' is a Bundle with {exc}") from exc
            held = page.resources
        else:
            held = [value]
        if any(r.get("resourceType") == "Patient" and r.get("id") != patient_id for r in held):
            raise InvalidHookRequestError(f"prefetch '{key}' holds a Patient other than context.patientId")
    return prefetch, bundled


def parse_hook_request(body: bytes, expected_hook: str) -> HookRequest:
    """Check a service call's body and return it as a `HookRequest`.

    :raise InvalidHookRequestError: the body breaks a rule; the message names it.
    """
    data = parse_json_object(body, "request body")
    hook = _required_string(data, "hook")
    if hook != expected_hook:
        raise InvalidHookRequestError(f"hook '{hook}' is not served here; this service answers '{expected_hook}'")
    hook_instance = _hook_instance(data)
    context = data.get("context")
    if not isinstance(context, dict):
        raise InvalidHookRequestError("context is required and must be an object")
    patient_id = context.get("patientId")
    if not isinstance(patient_id, str) or not FHIR_ID.fullmatch(patient_id):
        raise InvalidHookRequestError("context.patientId is required and must be a FHIR id")
    fhir_server = _fhir_server(data)
    prefetch, bundled = _prefetch(data, patient_id)
    return HookRequest(
        hook=hook,
        hook_instance=hook_instance,
        patient_id=patient_id,
        context=context,
        fhir_server=fhir_server,
        access_token=_access_token(data, fhir_server),
        prefetch=prefetch,
        bundled=bundled,
    )
