"""The attack suite reuses the web app's fixtures (a workspace with users of every role, clients)."""

from tests.serve.conftest import (  # noqa: F401  (fixtures, found by pytest in this module)
    _fast_argon2,
    _serve_pg_template,
    _serve_sqlite_template,
    api,
    app,
    db_url,
    make_client,
    populated,
    settings,
    tokens,
    ws,
)
