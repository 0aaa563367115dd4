"""uvicorn's access log without the reporter's address.

Guarantee: a line of the ``uvicorn.access`` logger for the public report form (``/report``) or
for what its page loads (``/static/...``, ``/favicon.ico``: those lines would name the reporter's
address at the minute they reported) carries ``-`` where uvicorn puts the client's address and
port, before any handler sees it (a filter on the logger itself, so every handler and formatter
gets the scrubbed record). The
address of a member of the public is never written anywhere; the whole access log can be
turned off (``tasman serve --no-access-log``, ``serve: access_log: false`` in ``tasman.yaml``).
"""

from __future__ import annotations

import logging

ACCESS_LOGGER = "uvicorn.access"
PUBLIC_PATHS = ("/report", "/static", "/favicon.ico")


def _public(path: str) -> bool:
    path = path.split("?", 1)[0]
    return any(path == p or path.startswith(p + "/") for p in PUBLIC_PATHS)


class ReporterAddressFilter(logging.Filter):
    """Replaces the client address of an access-log record for a public path with ``-``."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn logs '%s - "%s %s HTTP/%s" %d' with (client_addr, method, path, http_version, status)
        if isinstance(args, tuple) and len(args) == 5 and _public(str(args[2])):
            record.args = ("-", *args[1:])
        return True


def install() -> None:
    """Put the filter on uvicorn's access logger (once, whoever configures its handlers)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, ReporterAddressFilter) for f in logger.filters):
        logger.addFilter(ReporterAddressFilter())
