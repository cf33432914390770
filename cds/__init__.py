"""trialcds: clinical-trial eligibility as a CDS Hooks 2.0 patient-view service."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the Flask application."""
    from cds import config, errors, security
    from cds.cards import CardOptions
    from cds.feedback.store import FeedbackStore, database_url
    from cds.http import cors, routes
    from cds.http.service import TrialEligibilityService
    from cds.log import configure_logging
    from cds.record.fhir_client import FetchLimits
    from cds.record.prefetch import CallbackPolicy
    from cds.trials.loader import load_trials

    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(config.DEFAULTS)
    if test_config is None:
        app.config.from_prefixed_env("TRIALCDS")
    else:
        app.config.from_mapping(test_config)
    config.normalize(app.config)
    configure_logging(app.config["LOG_LEVEL"])
    log = logging.getLogger("cds.app")
    if app.config["AS_OF"] is not None:
        log.warning(
            "evaluation date is pinned (TRIALCDS_AS_OF): tests and demos only",
            extra={"fields": {"as_of": app.config["AS_OF"].isoformat()}},
        )

    trials_dir = app.config["TRIALS_DIR"]
    policy = CallbackPolicy(
        allowed_servers=tuple(app.config["FHIR_SERVERS"]),
        allow_no_token=app.config["FHIR_ALLOW_NO_TOKEN"],
        max_parallel=app.config["FHIR_MAX_PARALLEL"],
        limits=FetchLimits(
            connect_timeout_seconds=app.config["FHIR_CONNECT_TIMEOUT_SECONDS"],
            read_timeout_seconds=app.config["FHIR_READ_TIMEOUT_SECONDS"],
            deadline_seconds=app.config["FHIR_DEADLINE_SECONDS"],
            max_resources_per_search=app.config["FHIR_SEARCH_MAX_RESOURCES"],
            max_pages_per_search=app.config["FHIR_SEARCH_MAX_PAGES"],
        ),
    )
    card_options = CardOptions(app.config["CARD_ELIGIBLE_SOON"], app.config["CARD_ELIGIBLE_SOON_DAYS"])
    store = FeedbackStore(database_url(app.config["FEEDBACK_DATABASE"], app.instance_path))
    app.extensions[routes.EXTENSION_KEY] = TrialEligibilityService.build(
        load_trials(Path(trials_dir) if trials_dir else None), policy, card_options, store
    )

    errors.register_error_handlers(app)
    security.init_app(app)
    cors.init_app(app)
    app.register_blueprint(routes.bp)

    @app.get("/health")
    def health() -> dict[str, str]:
        """Liveness for the container health check; touches no patient data."""
        return {"status": "ok"}

    return app
