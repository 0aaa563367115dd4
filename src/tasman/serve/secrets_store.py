"""Keys of the web app, kept in the workspace (``WORKSPACE/serve/``, mode 0600), never in the database.

- ``tips.key``: the Fernet key that encrypts tip files at rest (losing it loses the files; back
  it up with the workspace, apart from the database).
- ``app.key``: the HMAC key for anonymous form tokens and for the keyed digest of reporters'
  addresses (so repeated abuse can be told apart without storing an address).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

from tasman.core.errors import IntegrityError


def serve_dir(root: Path) -> Path:
    d = root / "serve"
    d.mkdir(mode=0o700, exist_ok=True)
    return d


def _key_file(path: Path, make: bytes) -> bytes:
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(make)
    if path.stat().st_mode & 0o077:
        raise IntegrityError(f"{path} is readable by others (mode {oct(path.stat().st_mode & 0o777)}): chmod 600 it")
    return path.read_bytes().strip()


def tip_key(root: Path) -> bytes:
    return _key_file(serve_dir(root) / "tips.key", Fernet.generate_key())


def app_key(root: Path) -> bytes:
    return _key_file(serve_dir(root) / "app.key", secrets.token_hex(32).encode("ascii"))


class TipVault:
    """Encrypted files of tips: written once, read by nobody through the app (kept for referral)."""

    def __init__(self, root: Path) -> None:
        self.folder = serve_dir(root) / "tips"
        self.folder.mkdir(mode=0o700, exist_ok=True)
        self._fernet = Fernet(tip_key(root))

    def put(self, data: bytes) -> str:
        name = secrets.token_hex(16) + ".fernet"
        fd = os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(self._fernet.encrypt(data))
        return name

    def get(self, name: str) -> bytes:
        """Decrypt a stored file (for export into a referral package; never served to a browser)."""
        return self._fernet.decrypt((self.folder / Path(name).name).read_bytes())
