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

A received package is hostile until proven otherwise: anyone holding a recipient's public
``identity.yaml`` can build one. Before anything is inflated, decrypted or parsed, :func:`check`
and :func:`decrypt` hold it to the shape above and to fixed limits (see ``docs/refer.md``,
"What verify and open refuse"): the file at most ``MAX_PACKAGE_BYTES``; the outer ZIP exactly
its three members, stored, none a link, each within its limit; the inner ZIP only the five
known member names, each at most once, within a member count and an inflated-size budget, read
with bounded reads (a declared size is never trusted alone); every JSON document through
:func:`tasman.core.safejson.loads`; the package id matching ``PACKAGE_ID_PATTERN`` in the
envelope and the document; the document's sender (name, key fingerprint) the envelope's, whose
key signed it. Any departure is one :class:`IntegrityError` naming the member.
:func:`write_folder` then writes the known member names, and only those, into a new child
folder of the output folder with exclusive creates that follow no link.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import re
import stat
import struct
import unicodedata
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage
from cryptography.exceptions import InvalidSignature
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pyrage import x25519

from tasman.core import safejson
from tasman.core.errors import AlreadyExistsError, InputError, IntegrityError, NotFoundError, PermissionDeniedError
from tasman.refer import render
from tasman.refer.document import PACKAGE_ID_PATTERN, PackageDocument, canonical_json
from tasman.refer.keys import LocalKeys, fingerprint, load_public

FORMAT = "tasman-referral-package"
FORMAT_VERSION = 1
ENVELOPE, SIGNATURE, PAYLOAD = "envelope.json", "envelope.sig", "payload.age"
INNER = ("package.json", "dossier.html", "dossier.pdf")
MANIFEST, MANIFEST_SIG = "manifest.json", "manifest.sig"
INNER_MEMBERS = (*INNER, MANIFEST, MANIFEST_SIG)   # the only names an opened package may write

MiB = 1 << 20
MAX_PACKAGE_BYTES = 512 * MiB       # the package file, and so its encrypted payload
MAX_ENVELOPE_BYTES = 64 << 10       # envelope.json
MAX_SIGNATURE_BYTES = 1 << 10       # envelope.sig and manifest.sig (base64 of 64 bytes)
MAX_INNER_MEMBER_BYTES = 256 * MiB  # one member of the decrypted payload, inflated
MAX_INNER_TOTAL_BYTES = 512 * MiB   # all of them together
MAX_JSON_DEPTH = 64                 # package.json; the envelope and the manifest nest far less
MAX_SMALL_JSON_DEPTH = 8
MAX_CENTRAL_DIRECTORY = 64 << 10    # five members' entries take a few hundred bytes

PACKAGE_ID = re.compile(PACKAGE_ID_PATTERN)
_EOCD = b"PK\x05\x06"
_EOCD_FORMAT = "<4s4H2LH"
_ZIP64_LOCATOR = b"PK\x06\x07"


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


def valid_package_id(package_id: object, where: str) -> str:
    """``package_id`` when it may name a folder (``PACKAGE_ID_PATTERN``), else IntegrityError."""
    if not isinstance(package_id, str) or not PACKAGE_ID.fullmatch(package_id) or package_id in (".", ".."):
        raise IntegrityError(f"{where}: package id {package_id!r} refused: not letters, digits, '.', '_' and '-' "
                             "(at most 120, starting with a letter or digit)")
    return package_id


def member_problem(name: str) -> str | None:
    """Why a ZIP member name may not be written anywhere, or None for a plain file name."""
    if not name:
        return "an empty name"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        return "a control character in its name"
    if "\\" in name:
        return "a backslash in its name"
    if name.startswith("/"):
        return "an absolute path"
    if re.match(r"[A-Za-z]:", name):
        return "a drive letter"
    if ".." in name.split("/"):
        return "'..' in its path"
    if "/" in name:
        return "a folder in its path"
    return None


def _check_directory(data: bytes, what: str, max_members: int) -> None:
    """Refuse, from the end-of-central-directory record alone and before :mod:`zipfile` builds
    anything, a ZIP that claims more members or a larger directory than a package has."""
    at = data.rfind(_EOCD, max(0, len(data) - (1 << 16) - 22))
    if at < 0 or len(data) - at < struct.calcsize(_EOCD_FORMAT):
        raise IntegrityError(f"{what}: damaged or not a Tasman package (no ZIP directory)")
    _sig, _disk, _cd_disk, on_disk, entries, cd_size, _cd_offset, _comment = \
        struct.unpack_from(_EOCD_FORMAT, data, at)
    if at >= 20 and data[at - 20:at - 16] == _ZIP64_LOCATOR:
        raise IntegrityError(f"{what}: refused: a ZIP64 directory (a package never needs one)")
    if entries > max_members or on_disk > max_members:
        raise IntegrityError(f"{what}: refused: {entries} members, a package has at most {max_members}")
    if cd_size > MAX_CENTRAL_DIRECTORY:
        raise IntegrityError(f"{what}: refused: a ZIP directory of {cd_size} bytes "
                             f"(at most {MAX_CENTRAL_DIRECTORY})")


def read_members(data: bytes, what: str, allowed: Collection[str], required: Collection[str],
                 max_each: dict[str, int], max_total: int, stored_only: bool) -> dict[str, bytes]:
    """The members of a package ZIP, each name checked, each read with a bounded read.

    Raises IntegrityError, naming the member (repr), for a name that is not a plain known file
    name, a link, a folder, a duplicate, an encrypted or (``stored_only``) compressed member, a
    declared or actual size over its limit, or a missing required member."""
    _check_directory(data, what, len(allowed))
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, struct.error) as exc:
        raise IntegrityError(f"{what}: damaged or not a Tasman package ({exc})") from exc
    with z:
        infos = z.infolist()
        seen: set[str] = set()
        total = 0
        for info in infos:
            name = info.filename
            problem = member_problem(name)
            if problem is None and stat.S_ISLNK(info.external_attr >> 16):
                problem = "a symbolic link"
            if problem is None and name in seen:
                problem = "a duplicate name"
            if problem is None and name not in allowed:
                problem = f"not a member of a Tasman package ({', '.join(allowed)})"
            if problem is None and info.flag_bits & 0x1:
                problem = "encrypted"
            if problem is None and stored_only and info.compress_type != zipfile.ZIP_STORED:
                problem = "compressed (the outer members are stored)"
            if problem is None and info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                problem = f"compression method {info.compress_type}"
            if problem is None and info.file_size > max_each[name]:
                problem = f"{info.file_size} bytes, over its limit of {max_each[name]}"
            total += info.file_size
            if problem is None and total > max_total:
                problem = f"over the {max_total}-byte limit of all members together"
            if problem is not None:
                raise IntegrityError(f"{what}: member {name!r} refused: {problem}")
            seen.add(name)
        missing = [n for n in required if n not in seen]
        if missing:
            raise IntegrityError(f"{what}: damaged or not a Tasman package (no member {missing[0]!r})")
        out: dict[str, bytes] = {}
        for info in infos:
            limit = min(info.file_size, max_each[info.filename])
            try:
                with z.open(info) as fh:
                    got = fh.read(limit + 1)
            except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError) as exc:
                raise IntegrityError(f"{what}: member {info.filename!r} is damaged ({exc})") from exc
            if len(got) > limit:
                raise IntegrityError(f"{what}: member {info.filename!r} refused: larger than it declares")
            out[info.filename] = got
        return out


def _json(data: bytes, what: str, max_depth: int, max_bytes: int) -> Any:
    try:
        return safejson.loads(data, max_depth=max_depth, max_bytes=max_bytes)
    except (ValueError, UnicodeDecodeError) as exc:   # DepthError and JSONDecodeError are ValueErrors
        raise IntegrityError(f"{what}: refused: {' '.join(str(exc).split())}") from exc


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Sender(_Lenient):
    name: str
    public_key: str
    fingerprint: str


class _Recipient(_Lenient):
    name: str
    age_recipient: str


class _PayloadRef(_Lenient):
    name: str
    sha256: str
    size: int


class _Envelope(_Lenient):
    """The envelope's shape: what :class:`Checked` and ``signer_status`` rely on."""

    package_id: str = Field(pattern=PACKAGE_ID_PATTERN)
    series: str
    version: int
    country: str
    tlp: str
    created_at: str
    sender: _Sender
    recipient: _Recipient
    payload: _PayloadRef


@dataclass(frozen=True)
class Checked:
    envelope: dict[str, Any]
    payload: bytes
    file_sha256: str
    name: str = ""

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


def _read_file(path: Path) -> bytes:
    """The package file's bytes: a regular file of at most ``MAX_PACKAGE_BYTES``, bounded read."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):   # before opening: a FIFO would block the open
            raise InputError(f"{str(path)!r} is not a regular file")
        with path.open("rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise InputError(f"{str(path)!r} is not a regular file")
            if st.st_size > MAX_PACKAGE_BYTES:
                raise IntegrityError(f"{path.name}: refused: {st.st_size} bytes, over the package limit of "
                                     f"{MAX_PACKAGE_BYTES} ({MAX_PACKAGE_BYTES // MiB} MiB)")
            data = fh.read(st.st_size + 1)   # never a buffer of the limit's size for a small file
    except OSError as exc:
        raise NotFoundError(f"cannot read package {str(path)!r}: {exc.strerror}") from exc
    if len(data) > MAX_PACKAGE_BYTES:
        raise IntegrityError(f"{path.name}: refused: over the package limit of {MAX_PACKAGE_BYTES} bytes")
    return data


def check(path: Path) -> Checked:
    """Envelope signature and payload digest; raises IntegrityError on any changed byte and on
    anything a Tasman package does not hold (see the module's docstring)."""
    data = _read_file(path)
    members = read_members(data, path.name, (ENVELOPE, SIGNATURE, PAYLOAD), (ENVELOPE, SIGNATURE, PAYLOAD),
                           {ENVELOPE: MAX_ENVELOPE_BYTES, SIGNATURE: MAX_SIGNATURE_BYTES,
                            PAYLOAD: MAX_PACKAGE_BYTES}, MAX_PACKAGE_BYTES, stored_only=True)
    envelope_bytes, sig, payload = members[ENVELOPE], members[SIGNATURE], members[PAYLOAD]
    envelope = _json(envelope_bytes, f"{path.name} {ENVELOPE}", MAX_SMALL_JSON_DEPTH, MAX_ENVELOPE_BYTES)
    if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
        raise IntegrityError(f"{path.name}: damaged or not a Tasman package (no {FORMAT!r} envelope)")
    if envelope.get("format_version") != FORMAT_VERSION:
        raise InputError(f"{path.name}: package format {envelope.get('format_version')!r} is not supported")
    valid_package_id(envelope.get("package_id"), f"{path.name} {ENVELOPE}")
    try:
        shape = _Envelope.model_validate(envelope)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise IntegrityError(f"{path.name}: damaged envelope ({'.'.join(map(str, err['loc']))}: {err['msg']})") \
            from exc
    verify_signature(shape.sender.public_key, sig, envelope_bytes, path.name)
    if fingerprint(shape.sender.public_key) != shape.sender.fingerprint:
        raise IntegrityError(f"{path.name}: the sender's fingerprint does not match its key")
    want = shape.payload
    if want.name != PAYLOAD or sha256(payload) != want.sha256 or len(payload) != want.size:
        raise IntegrityError(f"{path.name}: the encrypted payload's SHA-256 does not match the signed envelope")
    return Checked(envelope, payload, hashlib.sha256(data).hexdigest(), path.name)


@dataclass(frozen=True)
class Opened:
    checked: Checked
    document: PackageDocument
    files: dict[str, bytes]


def open_package(path: Path, age_identity: str) -> Opened:
    """:func:`check`, then :func:`decrypt`."""
    return decrypt(check(path), age_identity)


def decrypt(checked: Checked, age_identity: str) -> Opened:
    """Decrypt a checked package and check what is inside against the signed manifest."""
    name = checked.name or "package"
    try:
        inner = pyrage.decrypt(checked.payload, [x25519.Identity.from_str(age_identity)])
    except pyrage.DecryptError as exc:
        to = checked.envelope["recipient"]["name"]
        raise PermissionDeniedError(f"{name}: this key cannot open the package (it is encrypted to {to!r})") \
            from exc
    files = read_members(inner, f"{name} payload", INNER_MEMBERS, ("package.json", MANIFEST, MANIFEST_SIG),
                         {n: MAX_INNER_MEMBER_BYTES for n in INNER_MEMBERS}, MAX_INNER_TOTAL_BYTES,
                         stored_only=False)
    manifest_bytes = files[MANIFEST]
    verify_signature(checked.envelope["sender"]["public_key"], files[MANIFEST_SIG], manifest_bytes,
                     f"{name} manifest")
    manifest = _json(manifest_bytes, f"{name} {MANIFEST}", MAX_SMALL_JSON_DEPTH, MAX_INNER_MEMBER_BYTES)
    listed = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(listed, dict):
        raise IntegrityError(f"{name}: the signed manifest lists no files")
    for member, digest in listed.items():
        if member not in files or sha256(files[member]) != digest:
            raise IntegrityError(f"{name}: {member!r} does not match its SHA-256 in the signed manifest")
    extra = sorted(set(files) - set(listed) - {MANIFEST, MANIFEST_SIG})
    if extra:
        raise IntegrityError(f"{name}: {extra[0]!r} is not in the signed manifest")
    body = _json(files["package.json"], f"{name} package.json", MAX_JSON_DEPTH, MAX_INNER_MEMBER_BYTES)
    valid_package_id(body.get("package_id") if isinstance(body, dict) else None, f"{name} package.json")
    try:
        doc = PackageDocument.model_validate(body)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise IntegrityError(f"{name}: package.json does not follow the package schema "
                             f"({'.'.join(map(str, err['loc']))}: {err['msg']})") from exc
    if doc.package_id != checked.envelope["package_id"] or manifest.get("package_id") != doc.package_id:
        raise IntegrityError(f"{name}: the document's package id differs from the signed envelope's")
    if doc.sender.name != checked.signer or doc.sender.key_fingerprint != checked.fingerprint:
        raise IntegrityError(f"{name}: the document's sender ({doc.sender.name!r}, key {doc.sender.key_fingerprint}) "
                             f"differs from the signed envelope's ({checked.signer!r}, key {checked.fingerprint})")
    return Opened(checked, doc, files)


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def write_folder(out_dir: Path, package_id: str, files: dict[str, bytes]) -> Path:
    """Write ``files`` into ``OUT/PACKAGE_ID/`` and return that folder.

    The folder is a child of ``out_dir`` by construction (the id is checked again, and the path
    resolved and compared); it is created new, or may exist empty, but never as a link; each file
    is created exclusively (``O_EXCL | O_NOFOLLOW``, relative to the folder's descriptor), so no
    existing file or link is followed or overwritten. Only the known member names are written."""
    valid_package_id(package_id, "package")
    for member in files:
        if member not in INNER_MEMBERS:
            raise IntegrityError(f"package {package_id}: member {member!r} refused: not a member of a Tasman package")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        root = out_dir.resolve(strict=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder {str(out_dir)!r}: {exc.strerror}") from exc
    target = root / package_id
    if target.parent != root or target.name != package_id:
        raise IntegrityError(f"package id {package_id!r} would not name a folder inside {str(root)!r}")
    try:
        os.mkdir(target, 0o750)
    except FileExistsError:
        if target.is_symlink():
            raise IntegrityError(f"{target} is a symbolic link; refused (a package opens into a new folder)") \
                from None
        if not target.is_dir() or any(target.iterdir()):
            raise AlreadyExistsError(f"{target} exists and is not empty; choose another --out") from None
    except OSError as exc:
        raise InputError(f"cannot create {str(target)!r}: {exc.strerror}") from exc
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_BINARY", 0)
    dir_fd: int | None = None
    written: list[str] = []
    try:
        if os.open in os.supports_dir_fd:
            dir_fd = os.open(target, os.O_RDONLY | _DIRECTORY | _NOFOLLOW)
        for member, data in sorted(files.items()):
            fd = os.open(member, flags, 0o640, dir_fd=dir_fd) if dir_fd is not None \
                else os.open(target / member, flags, 0o640)
            written.append(member)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
    except OSError as exc:
        for member in written:   # relative to the folder's descriptor: never through a swapped-in link
            with contextlib.suppress(OSError):
                os.unlink(member, dir_fd=dir_fd) if dir_fd is not None else (target / member).unlink()
        if isinstance(exc, FileExistsError):
            raise AlreadyExistsError(f"{target}: a file appeared while opening; nothing was overwritten") from exc
        raise InputError(f"cannot write into {str(target)!r}: {exc.strerror}") from exc
    finally:
        if dir_fd is not None:
            os.close(dir_fd)
    return target
