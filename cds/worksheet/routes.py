"""The worksheet's pages: SMART EHR launch, OAuth callback, the worksheet, ending it.

URLs carry no patient data: the launch URL holds the EHR's `iss` and opaque `launch`,
the callback's `code` and `state` are traded at once and the browser is sent on to
`/worksheet/w/<handle>/`, a random handle that opens nothing without the browser's
session cookie (HttpOnly, SameSite=Lax, scoped to that one worksheet's path, so two
patients open in two tabs never mix). Tokens and the patient id stay server-side
(cds.worksheet.store). Every page is `no-store` under a strict Content-Security-Policy;
every failure is an HTML page with its status, never a traceback.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException

from cds.config import evaluation_date, normalize_base_url
from cds.http.service import TrialEligibilityService
from cds.worksheet.evaluation import RecordUnavailableError, evaluate_patient
from cds.worksheet.links import CALLBACK_PATH
from cds.worksheet.settings import WorksheetSettings
from cds.worksheet.smart import (
    HttpLimits,
    LaunchError,
    authorization_url,
    discover,
    exchange_code,
    new_verifier,
)
from cds.worksheet.store import SessionStore, new_token
from cds.worksheet.view import worksheet_view

EXTENSION_KEY = "trialcds.worksheet"
LAUNCH_COOKIE = "trialcds_worksheet_launch"
SESSION_COOKIE = "trialcds_worksheet"
# Longest `launch` value accepted: EHR launch ids are short opaque strings or JWTs.
MAX_LAUNCH_CHARS = 4096
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    # Only this service's own stylesheet and script; no inline code, no framing, forms
    # post only here, no plugin or base-URL tricks.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

log = logging.getLogger("cds.worksheet")
bp = Blueprint(
    "worksheet", __name__, url_prefix="/worksheet", template_folder="templates", static_folder="static"
)


@dataclass(frozen=True)
class Worksheet:
    """What the pages need, built once at start."""

    settings: WorksheetSettings
    store: SessionStore
    service: TrialEligibilityService
    limits: HttpLimits


def _worksheet() -> Worksheet:
    worksheet: Worksheet = current_app.extensions[EXTENSION_KEY]
    return worksheet


def _redirect_uri(settings: WorksheetSettings) -> str:
    if settings.public_base_url:
        return settings.public_base_url + CALLBACK_PATH
    return url_for(".callback", _external=True)


def _secure() -> bool:
    return request.is_secure or (_worksheet().settings.public_base_url or "").startswith("https://")


def _set_cookie(response: Response, name: str, value: str, path: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path=path, secure=_secure(), httponly=True, samesite="Lax")


def _elapsed_ms(start: float) -> int:
    return round((time.perf_counter() - start) * 1000)


@bp.get("/launch")
def launch() -> Response:
    """SMART EHR launch: check `iss`, discover the EHR's endpoints, send the browser to authorize."""
    worksheet = _worksheet()
    iss, launch_id = request.args.get("iss", ""), request.args.get("launch", "")
    if not iss or not launch_id or len(launch_id) > MAX_LAUNCH_CHARS:
        raise LaunchError(
            400,
            "Open the worksheet from the EHR",
            "This address is opened by the EHR, which adds the patient's launch context. "
            "Use the “Open the eligibility worksheet” link on the trial card.",
        )
    fhir_base = normalize_base_url(iss)
    if fhir_base not in worksheet.settings.allowed_issuers:
        raise LaunchError(
            403,
            "This EHR is not allowed to launch the worksheet",
            "The FHIR server that launched the worksheet is not on this service's allow-list "
            "(TRIALCDS_FHIR_SERVERS), so no access token will be requested for it.",
        )
    configuration = discover(fhir_base, worksheet.limits)
    state, verifier = new_token(), new_verifier()
    binding = request.cookies.get(LAUNCH_COOKIE) or new_token()
    pending = {"iss": iss, "verifier": verifier, "token_endpoint": configuration.token_endpoint}
    worksheet.store.put(state, binding, pending, worksheet.settings.session_seconds)
    target = authorization_url(
        configuration,
        client_id=worksheet.settings.client_id,
        redirect_uri=_redirect_uri(worksheet.settings),
        launch=launch_id,
        state=state,
        verifier=verifier,
        aud=iss,
    )
    response = redirect(target, 302)
    _set_cookie(response, LAUNCH_COOKIE, binding, url_for(".callback"), worksheet.settings.session_seconds)
    log.info("worksheet launch", extra={"fields": {"outcome": "authorizing", "scopes": configuration.scopes}})
    return response


def _authorization_refused(error: str) -> LaunchError:
    shown = error if error.replace("_", "").isalnum() else "an error"
    status = 403 if error == "access_denied" else 400
    return LaunchError(status, "The EHR did not authorize the worksheet", f"The EHR answered {shown}.")


@bp.get("/callback")
def callback() -> Response:
    """OAuth redirect: check `state` against this browser's launch, trade the code, open the worksheet."""
    worksheet = _worksheet()
    state, binding = request.args.get("state", ""), request.cookies.get(LAUNCH_COOKIE, "")
    pending = worksheet.store.get(state, binding) if state and binding else None
    if pending is None:
        raise LaunchError(
            400,
            "This sign-in has expired",
            "The sign-in was not started in this browser, was already used, or took too long. "
            "Open the worksheet again from the EHR.",
        )
    worksheet.store.delete(state)  # a state (and the code that comes with it) is used once
    if "error" in request.args:
        raise _authorization_refused(request.args.get("error", ""))
    code = request.args.get("code", "")
    if not code:
        raise LaunchError(400, "The EHR did not authorize the worksheet", "Its answer holds no authorization code.")
    grant = exchange_code(
        pending.data["token_endpoint"],
        code=code,
        redirect_uri=_redirect_uri(worksheet.settings),
        client_id=worksheet.settings.client_id,
        client_secret=worksheet.settings.client_secret,
        verifier=pending.data["verifier"],
        limits=worksheet.limits,
    )
    handle, secret = new_token(), new_token()
    lifetime = min(worksheet.settings.session_seconds, grant.expires_in or math.inf)
    opened = {"iss": pending.data["iss"], "access_token": grant.access_token, "patient": grant.patient_id}
    worksheet.store.put(handle, secret, opened, int(lifetime))
    target = url_for(".worksheet_page", handle=handle)
    response = redirect(target, 303)
    _set_cookie(response, SESSION_COOKIE, secret, target, int(lifetime))
    log.info("worksheet launch", extra={"fields": {"outcome": "opened", "session_seconds": int(lifetime)}})
    return response


def _opened(handle: str) -> dict[str, Any]:
    """The session behind this worksheet URL, if this browser holds its cookie.

    :raise LaunchError: no such session, expired, or another browser's (403).
    """
    opened = _worksheet().store.get(handle, request.cookies.get(SESSION_COOKIE, ""))
    if opened is None:
        raise LaunchError(
            403,
            "This worksheet is closed",
            "Worksheets stay open for a short time and only in the browser that opened them. "
            "Open the worksheet again from the EHR.",
        )
    return opened.data


@bp.get("/w/<handle>/")
def worksheet_page(handle: str) -> str:
    """The worksheet: the record read now with the EHR's token, every trial evaluated."""
    worksheet = _worksheet()
    session = _opened(handle)
    start = time.perf_counter()
    as_of = evaluation_date(current_app.config)
    evaluated = evaluate_patient(
        worksheet.service, normalize_base_url(session["iss"]), session["access_token"], session["patient"], as_of
    )
    view = worksheet_view(evaluated.record.patient, evaluated.results, as_of)
    log.info(
        "worksheet shown", extra={"fields": {"outcome": "ok", "trials": len(view.trials), "total_ms": _elapsed_ms(start)}}
    )
    return render_template(
        "worksheet/worksheet.html", view=view, end_url=url_for(".end", handle=handle), fhir_server=session["iss"]
    )


@bp.post("/w/<handle>/end")
def end(handle: str) -> Response:
    """Close the worksheet now: the session and its token are deleted."""
    _opened(handle)
    _worksheet().store.delete(handle)
    response = Response(
        render_template(
            "worksheet/message.html",
            title="Worksheet closed",
            message="The worksheet and its access to the EHR are closed. Open it again from the EHR when needed.",
        )
    )
    response.delete_cookie(SESSION_COOKIE, path=url_for(".worksheet_page", handle=handle))
    log.info("worksheet closed", extra={"fields": {"outcome": "closed"}})
    return response


@bp.route("/", defaults={"rest": ""})
@bp.route("/<path:rest>")
def not_found(rest: str) -> tuple[str, int]:
    """Any other address under /worksheet."""
    return _page(LaunchError(404, "No such page", "Open the worksheet from the EHR."))


def _page(error: LaunchError) -> tuple[str, int]:
    return render_template("worksheet/message.html", title=error.title, message=error.message), error.status


@bp.errorhandler(LaunchError)
def _launch_error(error: LaunchError) -> tuple[str, int]:
    log.info("worksheet refused", extra={"fields": {"outcome": error.title, "status": error.status}})
    return _page(error)


@bp.errorhandler(RecordUnavailableError)
def _record_unavailable(error: RecordUnavailableError) -> tuple[str, int]:
    log.info("worksheet refused", extra={"fields": {"outcome": "record unavailable", "status": 502}})
    page = render_template(
        "worksheet/message.html",
        title="The patient's record could not be read in full",
        message="The worksheet shows nothing rather than decide on part of the record. What failed:",
        details=error.reasons,
    )
    return page, 502


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> tuple[str, int]:
    return _page(LaunchError(error.code or 500, error.name, "Open the worksheet again from the EHR."))


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> tuple[str, int]:
    # Class name only: the message of an arbitrary exception may hold patient data.
    log.error("worksheet error", extra={"fields": {"error_class": type(error).__name__}})
    return _page(LaunchError(500, "The worksheet failed", "Something went wrong on our side. Try again from the EHR."))


@bp.after_request
def _security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response
