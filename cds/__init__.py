"""trialcds: clinical-trial eligibility as a CDS Hooks 2.0 patient-view service."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the web stack is imported by create_app, not by every command (cds/cli.py)
    from flask import Flask


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the Flask application."""
    from flask import Flask

    from cds import config, errors, security, worksheet
    from cds.cards import CardOptions
    from cds.feedback.store import FeedbackStore, database_url
    from cds.http import cors, routes
    from cds.http.json_provider import OrjsonProvider
    from cds.http.service import TrialEligibilityService
    from cds.log import configure_logging
    from cds.record.prefetch import CallbackPolicy
    from cds.trials.loader import load_trials

    app = Flask(__name__, instance_relative_config=True)
    app.json = OrjsonProvider(app)
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
    store = FeedbackStore(database_url(app.config["FEEDBACK_DATABASE"], app.instance_path))
    app.extensions[routes.EXTENSION_KEY] = TrialEligibilityService.build(
        load_trials(Path(trials_dir) if trials_dir else None),
        CallbackPolicy.from_config(app.config),
        CardOptions.from_config(app.config),
        store,
    )

    errors.register_error_handlers(app)
    security.init_app(app)
    cors.init_app(app)
    app.register_blueprint(routes.bp)
    app.register_blueprint(routes.health_bp)
    worksheet.init_app(app)
    return app
