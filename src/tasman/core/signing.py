"""The workspace's Ed25519 signing key, as far as core needs it: load it, sign, check a signature.

The key is the agency's own (``WORKSPACE/keys/signing.pem``, made by ``tasman keys generate``,
see ``tasman.refer.keys``): it signs referral packages and the audit log's anchors. It is read
only when its file is private to its owner (mode 0600 on POSIX), and never written here.
Public keys travel as base64 of the 32 raw bytes; a fingerprint is ``ed25519:`` and the first
32 hex digits of SHA-256 of those bytes. ``cryptography`` is imported when a key is used, not
when a workspace is opened (most commands sign nothing).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from tasman.core.errors import InputError, PermissionDeniedError, reason

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEYS_DIR = "keys"
SIGNING_FILE = "signing.pem"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def public_raw(key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public_key_b64: str) -> str:
    """``ed25519:`` and the first 32 hex digits of SHA-256 of the raw public key."""
    return "ed25519:" + hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()[:32]


def load_public(public_key_b64: str) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        raw = base64.b64decode(public_key_b64, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise InputError(f"{public_key_b64!r} is not a base64 Ed25519 public key") from exc


def signature_ok(public_key_b64: str, data: bytes, signature_b64: str) -> bool:
    """True when ``signature_b64`` is that key's Ed25519 signature of ``data``; a damaged
    key or signature is simply not a valid signature."""
    from cryptography.exceptions import InvalidSignature

    try:
        key = load_public(public_key_b64)
        key.verify(base64.b64decode(signature_b64, validate=True), data)
    except (InputError, InvalidSignature, binascii.Error, ValueError):
        return False
    return True


class Signer(Protocol):
    """What signs for the workspace: ``LocalSigner`` here, ``refer.keys.LocalKeys`` there."""

    @property
    def public_key(self) -> str: ...

    @property
    def fingerprint(self) -> str: ...

    def sign(self, data: bytes) -> str: ...


@dataclass(frozen=True)
class LocalSigner:
    key: Ed25519PrivateKey

    @property
    def public_key(self) -> str:
        return b64(public_raw(self.key.public_key()))

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def sign(self, data: bytes) -> str:
        return b64(self.key.sign(data))


def signing_path(root: Path) -> Path:
    return root / KEYS_DIR / SIGNING_FILE


def load_private(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 key in ``path``, refused when others may read it or when it is not one."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise PermissionDeniedError(f"{path} is readable by others: chmod 600 it")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:   # ValueError: not PEM; TypeError: encrypted
        raise InputError(f"cannot read the signing key {path}: {reason(exc)}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"{path} is not an Ed25519 key")
    return key


def load_signer(root: Path) -> LocalSigner | None:
    """The workspace's signing key, or None when it has none (``tasman keys generate`` makes one)."""
    path = signing_path(root)
    if not path.exists():
        return None
    return LocalSigner(load_private(path))
