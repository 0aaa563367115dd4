"""``tasman serve``: the web app, the API and the public report form."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import click

from tasman.cli.common import state
from tasman.core.errors import InputError, reason


def _check_tls(certfile: Path, keyfile: Path | None) -> None:
    """A certificate or key that cannot be used is refused before the server starts."""
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as exc:
        which = f"{certfile} and {keyfile}" if keyfile else str(certfile)
        raise InputError(f"cannot use {which} for TLS ({reason(exc)}): give a PEM certificate and its key") \
            from exc


def _check_listen(host: str, port: int) -> None:
    """An address this machine does not have, or a port already taken, is refused with one line
    (uvicorn would log it and stop)."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        # create_server adds the address to the reason: "... (while attempting to bind on address (...))"
        why = reason(exc).partition(" (while attempting to bind on address ")[0]
        raise InputError(f"cannot listen on {host}:{port}: {why}") from exc


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--secure-cookies", is_flag=True,
              help="Mark cookies Secure (set this behind a TLS proxy; automatic with --certfile).")
@click.option("--certfile", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="TLS certificate.")
@click.option("--keyfile", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="TLS key.")
@click.option("--evidence-root", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder from which evidence may be recorded in the web app (default: none).")
@click.option("--blurred-previews", is_flag=True,
              help="Let examiners open a small, heavily blurred preview of a perceptual match (of a video: "
                   "one frame), one audited click at a time (off by default).")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, metavar="ADDR/CIDR",
              help="A reverse proxy whose X-Forwarded-For is believed (repeatable; adds to serve.trusted_proxies "
                   "in tasman.yaml). Rate limits then count the client it names, not the proxy.")
@click.option("--no-access-log", is_flag=True,
              help="No access log at all (it never holds the address of a /report request anyway).")
def serve(host: str, port: int, secure_cookies: bool, certfile: Path | None, keyfile: Path | None,
          evidence_root: Path | None, blurred_previews: bool, trusted_proxies: tuple[str, ...],
          no_access_log: bool) -> None:
    """Serve the workspace: pages at /, the API at /api/v1 (schema at /api/v1/openapi.json), tips at /report."""
    import uvicorn

    from tasman.serve.app import create_app
    from tasman.serve.proxies import parse_networks
    from tasman.serve.settings import ServeSettings, from_config

    if keyfile is not None and certfile is None:
        raise click.UsageError("--keyfile needs --certfile")
    proxies = parse_networks(trusted_proxies)
    if certfile is not None:
        _check_tls(certfile, keyfile)
    _check_listen(host, port)
    ws = state().ws()
    configured = from_config(ws.config)
    configured["trusted_proxies"] = configured.get("trusted_proxies", ()) + proxies
    if no_access_log:
        configured["access_log"] = False
    settings = ServeSettings(secure_cookies=secure_cookies or certfile is not None, evidence_root=evidence_root,
                             blurred_previews=blurred_previews, **configured)
    app = create_app(ws, settings)
    click.echo(f"Tasman serving {ws.root} on {'https' if certfile else 'http'}://{host}:{port}/", err=True)
    if settings.trusted_proxies:
        click.echo("Trusting X-Forwarded-For from " + ", ".join(map(str, settings.trusted_proxies)), err=True)
    uvicorn.run(app, host=host, port=port, ssl_certfile=str(certfile) if certfile else None,
                ssl_keyfile=str(keyfile) if keyfile else None, log_level="info", server_header=False,
                proxy_headers=False, access_log=settings.access_log)
