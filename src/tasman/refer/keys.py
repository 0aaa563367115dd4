"""The local agency's keys: an Ed25519 signing key (packages and outcome reports are signed
with it) and an age X25519 identity (packages sent to us are encrypted to it).

They live in ``WORKSPACE/keys/`` (folder 0700, secret files 0600) beside a public
``identity.yaml``, which is exactly the entry partners add to their agency directory. Secret
keys are stored unencrypted: protect the workspace (full-disk encryption, access control).
Keys are never overwritten; rotating them means a new workspace folder or moving the old ones.
The Ed25519 helpers live in ``tasman.core.signing`` (core signs the audit log's anchors with
the same key); they are re-exported here for the stage's modules.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyrage import x25519

from tasman.core.errors import AlreadyExistsError, InputError, NotFoundError, reason
from tasman.core.signing import KEYS_DIR, SIGNING_FILE, b64, fingerprint, load_private, load_public, public_raw

__all__ = [
    "AGE_FILE",
    "IDENTITY_FILE",
    "KEYS_DIR",
    "SIGNING_FILE",
    "LocalKeys",
    "b64",
    "fingerprint",
    "generate",
    "load",
    "load_public",
    "public_raw",
    "read_age_identity",
]

AGE_FILE = "age.key"
IDENTITY_FILE = "identity.yaml"


@dataclass(frozen=True)
class LocalKeys:
    name: str
    countries: tuple[str, ...]
    contact: str
    signing: Ed25519PrivateKey
    age_identity: str

    @property
    def public_key(self) -> str:
        return b64(public_raw(self.signing.public_key()))

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    @property
    def age_recipient(self) -> str:
        return str(x25519.Identity.from_str(self.age_identity).to_public())

    def sign(self, data: bytes) -> str:
        return b64(self.signing.sign(data))

    def entry(self) -> dict[str, Any]:
        """This agency as an entry of a partner's directory (public keys only)."""
        return {"name": self.name, "countries": list(self.countries), "contact": self.contact,
                "age_recipient": self.age_recipient, "signing_key": self.public_key}


def _write_secret(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)


def generate(root: Path, name: str, countries: list[str], contact: str = "") -> LocalKeys:
    folder = root / KEYS_DIR
    if (folder / SIGNING_FILE).exists() or (folder / AGE_FILE).exists():
        raise AlreadyExistsError(f"keys already exist in {folder}; they are never overwritten")
    if not name.strip():
        raise InputError("the agency name must not be empty")
    folder.mkdir(mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    signing = Ed25519PrivateKey.generate()
    ident = x25519.Identity.generate()
    _write_secret(folder / SIGNING_FILE, signing.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    _write_secret(folder / AGE_FILE, f"# public key: {ident.to_public()}\n{ident}\n".encode())
    keys = LocalKeys(name.strip(), tuple(countries), contact, signing, str(ident))
    (folder / IDENTITY_FILE).write_text(yaml.safe_dump(keys.entry(), sort_keys=False), encoding="utf-8")
    return keys


def read_age_identity(path: Path) -> str:
    """The ``AGE-SECRET-KEY-1...`` line of an age identity file."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise NotFoundError(f"cannot read key file {str(path)!r}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{str(path)!r} is not an age identity file ({reason(exc)})") from exc
    for line in lines:
        if line.strip().startswith("AGE-SECRET-KEY-"):
            try:
                x25519.Identity.from_str(line.strip())
            except pyrage.IdentityError as exc:
                raise InputError(f"{str(path)!r} holds a damaged age identity") from exc
            return line.strip()
    raise InputError(f"{str(path)!r} is not an age identity file (no AGE-SECRET-KEY line)")


def load(root: Path) -> LocalKeys:
    folder = root / KEYS_DIR
    if not (folder / SIGNING_FILE).exists():
        raise NotFoundError(f"no agency keys in {folder}: run 'tasman keys generate --agency NAME' first")
    key = load_private(folder / SIGNING_FILE)
    try:
        info = yaml.safe_load((folder / IDENTITY_FILE).read_text(encoding="utf-8")) or {}
    except (OSError, ValueError, yaml.YAMLError) as exc:   # ValueError: UnicodeDecodeError too
        raise InputError(f"cannot read the agency keys in {folder}: {reason(exc)}") from exc
    return LocalKeys(str(info.get("name", "")), tuple(info.get("countries") or ()), str(info.get("contact", "")),
                     key, read_age_identity(folder / AGE_FILE))
