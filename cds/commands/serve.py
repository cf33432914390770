"""`trialcds serve`: run the service under gunicorn."""

from __future__ import annotations

from typing import Any

import click
from gunicorn.app.base import BaseApplication

from cds import gunicorn_conf


class TrialCdsServer(BaseApplication):
    """gunicorn running `cds.create_app()` with the settings of cds.gunicorn_conf."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):  # type: ignore[no-untyped-def]
        from cds import create_app

        return create_app()


@click.command("serve")
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1, or TRIALCDS_BIND).")
@click.option("--port", default=None, type=int, help="Port to bind (default 8080, or TRIALCDS_BIND).")
def serve(host: str | None, port: int | None) -> None:
    """Start the CDS Hooks service under gunicorn."""
    default_host, _, default_port = gunicorn_conf.bind.rpartition(":")
    options = {key: getattr(gunicorn_conf, key) for key in gunicorn_conf.SETTINGS}
    options["bind"] = f"{host or default_host}:{port or default_port}"
    TrialCdsServer(options).run()
