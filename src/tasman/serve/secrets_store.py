"""The web app's own key, kept in the workspace (``WORKSPACE/serve/app.key``, mode 0600), never in
the database: the HMAC key for anonymous form tokens and for the keyed digest of reporters'
addresses (so repeated abuse can be told apart without storing an address). The tips' key is
``tasman.tips.vault``'s.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from tasman.tips.vault import key_file, serve_dir


def app_key(root: Path) -> bytes:
    return key_file(serve_dir(root) / "app.key", secrets.token_hex(32).encode("ascii"))
