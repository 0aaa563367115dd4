"""The package file: signed outside, encrypted inside.

A package file is a ZIP (stored, not compressed) of three members:

- ``envelope.json``: format, package id, version, country, TLP, the sender (name, Ed25519
  public key and fingerprint), the recipient (name, age recipient) and the SHA-256 and size of
  the payload. Readable without any key, so anyone holding the file can check who signed it.
- ``envelope.sig``: the sender's Ed25519 signature (base64) over the exact bytes of
  ``envelope.json``; the signature thus covers the payload through its digest.
- ``payload.age``: an age (X25519) encryption, to the recipient, of an inner ZIP holding
  ``package.json`` (the document), ``dossier.html``, ``dossier.pdf`` (when fpdf2 is installed),
  ``manifest.json`` (SHA-256 of each of those) and ``manifest.sig`` (the sender's signature over
  the manifest, so an opened folder can still be checked later).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage
from cryptography.exceptions import InvalidSignature
from pydantic import ValidationError
from pyrage import x25519

from tasman.core.errors import InputError, IntegrityError, NotFoundError, PermissionDeniedError
from tasman.refer import render
from tasman.refer.document import PackageDocument, canonical_json
from tasman.refer.keys import LocalKeys, fingerprint, load_public

FORMAT = "tasman-referral-package"
FORMAT_VERSION = 1
ENVELOPE, SIGNATURE, PAYLOAD = "envelope.json", "envelope.sig", "payload.age"
INNER = ("package.json", "dossier.html", "dossier.pdf")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _zip(members: dict[str, bytes], compress: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compress) as z:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = compress
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return buf.getvalue()


def inner_files(doc: PackageDocument, keys: LocalKeys) -> dict[str, bytes]:
    files = {"package.json": json.dumps(doc.model_dump(mode="json"), indent=2, ensure_ascii=False).encode("utf-8"),
             "dossier.html": render.html(doc).encode("utf-8")}
    pdf = render.pdf(doc)
    if pdf is not None:
        files["dossier.pdf"] = pdf
    manifest = canonical_json({"package_id": doc.package_id, "schema_version": doc.schema_version,
                               "files": {n: sha256(b) for n, b in sorted(files.items())}})
    files["manifest.json"] = manifest
    files["manifest.sig"] = keys.sign(manifest).encode("ascii")
    return files


def write_package(path: Path, doc: PackageDocument, keys: LocalKeys, recipient_name: str, age_recipient: str) -> str:
    """Write the package file (never over an existing one); returns its SHA-256."""
    payload = pyrage.encrypt(_zip(inner_files(doc, keys), zipfile.ZIP_DEFLATED),
                             [x25519.Recipient.from_str(age_recipient)])
    envelope = canonical_json({
        "format": FORMAT, "format_version": FORMAT_VERSION, "package_id": doc.package_id, "series": doc.series,
        "version": doc.version, "country": doc.country, "tlp": doc.tlp, "created_at": doc.created_at,
        "sender": {"name": keys.name, "public_key": keys.public_key, "fingerprint": keys.fingerprint},
        "recipient": {"name": recipient_name, "age_recipient": age_recipient},
        "payload": {"name": PAYLOAD, "sha256": sha256(payload), "size": len(payload)},
    })
    data = _zip({ENVELOPE: envelope, SIGNATURE: keys.sign(envelope).encode("ascii"), PAYLOAD: payload},
                zipfile.ZIP_STORED)
    with path.open("xb") as fh:
        fh.write(data)
    return sha256(data)


@dataclass(frozen=True)
class Checked:
    envelope: dict[str, Any]
    payload: bytes
    file_sha256: str

    @property
    def signer(self) -> str:
        return str(self.envelope["sender"]["name"])

    @property
    def fingerprint(self) -> str:
        return str(self.envelope["sender"]["fingerprint"])


def verify_signature(public_key: str, signature: bytes, data: bytes, what: str) -> None:
    try:
        load_public(public_key).verify(base64.b64decode(signature, validate=True), data)
    except (InvalidSignature, ValueError, InputError) as exc:
        raise IntegrityError(f"{what}: the signature does not match (changed after signing, or forged)") from exc


def check(path: Path) -> Checked:
    """Envelope signature and payload digest; raises IntegrityError on any changed byte."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NotFoundError(f"cannot read package {str(path)!r}: {exc.strerror}") from exc
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            envelope_bytes, sig, payload = z.read(ENVELOPE), z.read(SIGNATURE), z.read(PAYLOAD)
        envelope = json.loads(envelope_bytes)
        sender = envelope["sender"]
        if envelope.get("format") != FORMAT:
            raise ValueError("format")
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, zipfile.LargeZipFile, EOFError) as exc:
        raise IntegrityError(f"{path.name}: damaged or not a Tasman package ({exc})") from exc
    if envelope.get("format_version") != FORMAT_VERSION:
        raise InputError(f"{path.name}: package format {envelope.get('format_version')!r} is not supported")
    verify_signature(str(sender.get("public_key", "")), sig, envelope_bytes, path.name)
    if fingerprint(sender["public_key"]) != sender.get("fingerprint"):
        raise IntegrityError(f"{path.name}: the sender's fingerprint does not match its key")
    want = envelope["payload"]
    if sha256(payload) != want.get("sha256") or len(payload) != want.get("size"):
        raise IntegrityError(f"{path.name}: the encrypted payload's SHA-256 does not match the signed envelope")
    return Checked(envelope, payload, sha256(data))


@dataclass(frozen=True)
class Opened:
    checked: Checked
    document: PackageDocument
    files: dict[str, bytes]


def open_package(path: Path, age_identity: str) -> Opened:
    checked = check(path)
    try:
        inner = pyrage.decrypt(checked.payload, [x25519.Identity.from_str(age_identity)])
    except pyrage.DecryptError as exc:
        to = checked.envelope["recipient"]["name"]
        raise PermissionDeniedError(f"{path.name}: this key cannot open the package (it is encrypted to {to!r})") \
            from exc
    try:
        with zipfile.ZipFile(io.BytesIO(inner)) as z:
            files = {n: z.read(n) for n in z.namelist()}
        manifest_bytes = files["manifest.json"]
        manifest = json.loads(manifest_bytes)
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise IntegrityError(f"{path.name}: the decrypted payload is damaged ({exc})") from exc
    verify_signature(checked.envelope["sender"]["public_key"], files.get("manifest.sig", b""), manifest_bytes,
                f"{path.name} manifest")
    listed = manifest.get("files", {})
    for name, digest in listed.items():
        if name not in files or sha256(files[name]) != digest:
            raise IntegrityError(f"{path.name}: {name} does not match its SHA-256 in the signed manifest")
    extra = sorted(set(files) - set(listed) - {"manifest.json", "manifest.sig"})
    if extra:
        raise IntegrityError(f"{path.name}: {extra[0]} is not in the signed manifest")
    try:
        doc = PackageDocument.model_validate_json(files["package.json"])
    except (ValidationError, KeyError) as exc:
        raise IntegrityError(f"{path.name}: package.json does not follow the package schema ({exc})") from exc
    if doc.package_id != checked.envelope["package_id"] or manifest.get("package_id") != doc.package_id:
        raise IntegrityError(f"{path.name}: the document's package id differs from the signed envelope's")
    return Opened(checked, doc, files)
