"""The eligibility worksheet: a SMART on FHIR app, served by the same service, that shows a
research coordinator every criterion of every configured trial for the launched patient.

`init_app(app)` registers it; the CDS service must be set up first (it reuses its
trials, prefetch templates and FHIR callback policy).
"""

from __future__ import annotations

import logging

from flask import Flask

log = logging.getLogger("cds.worksheet")


def init_app(app: Flask) -> None:
    """Register the worksheet's blueprint and its session store.

    :raise ConfigError: a worksheet setting cannot be used.
    """
    from cds.http.routes import EXTENSION_KEY as SERVICE_KEY
    from cds.worksheet.links import LOCAL_BASE_URL
    from cds.worksheet.routes import EXTENSION_KEY, Worksheet, bp
    from cds.worksheet.settings import WorksheetSettings
    from cds.worksheet.smart import HttpLimits
    from cds.worksheet.store import SessionStore

    settings = WorksheetSettings.from_config(app.config, app.instance_path)
    if settings.public_base_url is None:
        log.warning(
            "TRIALCDS_PUBLIC_BASE_URL is not set: the card's worksheet link points at the local demo",
            extra={"fields": {"launch_base_url": LOCAL_BASE_URL}},
        )
    app.extensions[EXTENSION_KEY] = Worksheet(
        settings=settings,
        store=SessionStore(settings.database_url),
        service=app.extensions[SERVICE_KEY],
        limits=HttpLimits(app.config["FHIR_CONNECT_TIMEOUT_SECONDS"], app.config["FHIR_READ_TIMEOUT_SECONDS"]),
    )
    app.register_blueprint(bp)
