"""Where tips keep their secrets: keys in the workspace (``WORKSPACE/serve/``, mode 0600), never in
the database (the folder keeps its name from when tips lived in the web app).

- ``tips.key``: the Fernet key that encrypts tip files and reporters' contact details at rest
  (losing it loses them; back it up with the workspace, apart from the database). The database
  holds a contact only as ``fernet:<token>``; only the tips code path decrypts it, after its
  role and case checks (``tasman.tips.intake.read_contact``).
- the web app's own ``app.key`` is made by ``key_file`` too (``tasman.serve.secrets_store``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from tasman.core.errors import IntegrityError

SEALED = "fernet:"  # the prefix of an encrypted text in a database column


def serve_dir(root: Path) -> Path:
    d = root / "serve"
    d.mkdir(mode=0o700, exist_ok=True)
    return d


def key_file(path: Path, make: bytes) -> bytes:
    """The key kept in ``path``, made from ``make`` when missing; refused when others can read it."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(make)
    if path.stat().st_mode & 0o077:
        raise IntegrityError(f"{path} is readable by others (mode {oct(path.stat().st_mode & 0o777)}): chmod 600 it")
    return path.read_bytes().strip()


def tip_key(root: Path) -> bytes:
    return key_file(serve_dir(root) / "tips.key", Fernet.generate_key())


def seal_text(fernet: Fernet, text: str) -> str:
    """``fernet:<token>`` for a non-empty text; an empty text stays empty (nothing given)."""
    return SEALED + fernet.encrypt(text.encode("utf-8")).decode("ascii") if text else ""


def open_text(fernet: Fernet, value: str) -> str:
    """The text :func:`seal_text` sealed; IntegrityError for a value that is not one, or a wrong key."""
    if not value:
        return ""
    if not value.startswith(SEALED):
        raise IntegrityError("a stored contact is not encrypted: open the workspace once to migrate it")
    try:
        return fernet.decrypt(value[len(SEALED):].encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise IntegrityError("a stored contact cannot be decrypted with serve/tips.key (a different key?)") from exc


class TipVault:
    """Encrypted files of tips: written once, read by nobody through the app (kept for referral);
    and the reporters' contact details, sealed for the database."""

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

    def seal(self, text: str) -> str:
        return seal_text(self._fernet, text)

    def unseal(self, value: str) -> str:
        return open_text(self._fernet, value)
