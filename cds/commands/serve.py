"""`trialcds serve`: run the service under gunicorn."""

from __future__ import annotations

import errno
import socket
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


def ensure_free(host: str, port: int) -> None:
    """Stop at once, with the reason, when the address is taken.

    gunicorn alone retries for a few seconds and exits, which a service started in the
    background (`&`) does silently, while the clients keep reaching whatever holds the port.

    :raise click.ClickException: the port is in use (or the host cannot be bound).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise click.ClickException(
                    f"{host}:{port} is already in use (another trialcds serve?); stop it, or choose another --port"
                ) from exc
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


@click.command("serve")
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1, or TRIALCDS_BIND).")
@click.option("--port", default=None, type=int, help="Port to bind (default 8080, or TRIALCDS_BIND).")
def serve(host: str | None, port: int | None) -> None:
    """Start the CDS Hooks service under gunicorn."""
    default_host, _, default_port = gunicorn_conf.bind.rpartition(":")
    bind_host, bind_port = host or default_host, port or int(default_port)
    ensure_free(bind_host, bind_port)
    options = {key: getattr(gunicorn_conf, key) for key in gunicorn_conf.SETTINGS}
    options["bind"] = f"{bind_host}:{bind_port}"
    TrialCdsServer(options).run()
