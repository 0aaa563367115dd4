"""Crafted referral packages: each attack is refused on one line, and nothing is written outside
``--out`` (nor anywhere else in the sandbox).

Every package here is built by hand the way an attacker would: signed with a throwaway key made
by the project's own key code and encrypted with pyrage to a real recipient, so that it gets past
the signature and the decryption and reaches the check under test.
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
import stat
import struct
import tracemalloc
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage
import pytest
from pyrage import x25519

from tasman.core.errors import AlreadyExistsError, IntegrityError
from tasman.refer import container, keys, render
from tasman.refer.container import ENVELOPE, FORMAT, FORMAT_VERSION, PAYLOAD, SIGNATURE, sha256
from tasman.refer.document import HANDLING, SCHEMA_VERSION, AgencyInfo, PackageDocument, canonical_json
from tasman.refer.keys import LocalKeys
from tasman.refer.service import open_to

PID = "OP-1-PH-v1"
Entry = tuple[str | zipfile.ZipInfo, bytes]


@dataclass
class Lab:
    root: Path
    sender: LocalKeys
    recipient: LocalKeys
    key_file: Path
    out: Path
    file: Path


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lab:
    monkeypatch.setattr(render, "WITH_PDF", False)
    monkeypatch.chdir(tmp_path)                       # no workspace: open needs --allow-unknown-sender
    monkeypatch.delenv("TASMAN_WORKSPACE", raising=False)
    for d in ("mallory", "partner", "in", "sandbox"):
        (tmp_path / d).mkdir()
    sender = keys.generate(tmp_path / "mallory", "Mallory", ["GB"])
    recipient = keys.generate(tmp_path / "partner", "PNP WCPC", ["PH"])
    return Lab(tmp_path, sender, recipient, tmp_path / "partner" / keys.KEYS_DIR / keys.AGE_FILE,
               tmp_path / "sandbox" / "out", tmp_path / "in" / "crafted.tasman")


def zip_of(entries: list[Entry], compress: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")               # zipfile warns of the duplicate names we write on purpose
        with zipfile.ZipFile(buf, "w") as z:
            for name, data in entries:
                if isinstance(name, zipfile.ZipInfo):
                    info = name
                else:
                    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                    info.compress_type = compress
                    info.external_attr = 0o644 << 16
                z.writestr(info, data)
    return buf.getvalue()


def document(lab: Lab, **over: Any) -> dict[str, Any]:
    doc = PackageDocument(package_id=PID, series="OP-1-PH", version=1, created_at="2026-01-01T00:00:00Z",
                          generator="test", tlp="amber", handling=HANDLING["amber"], country="PH", case_ref="OP-1",
                          sender=AgencyInfo(name=lab.sender.name, key_fingerprint=lab.sender.fingerprint),
                          recipient=AgencyInfo(name=lab.recipient.name), audit_head="0" * 64, subjects=[])
    return {**doc.model_dump(mode="json"), **over}


def signed_files(lab: Lab, body: bytes | None = None, manifest: bytes | None = None) -> dict[str, bytes]:
    """package.json (the given bytes, or a valid document) with a manifest signed by the sender."""
    body = body if body is not None else json.dumps(document(lab)).encode()
    if manifest is None:
        manifest = canonical_json({"package_id": PID, "schema_version": SCHEMA_VERSION,
                                   "files": {"package.json": sha256(body)}})
    return {"package.json": body, "manifest.json": manifest, "manifest.sig": lab.sender.sign(manifest).encode()}


def envelope(lab: Lab, payload: bytes, package_id: str = PID) -> bytes:
    return canonical_json({
        "format": FORMAT, "format_version": FORMAT_VERSION, "package_id": package_id, "series": "OP-1-PH",
        "version": 1, "country": "PH", "tlp": "amber", "created_at": "2026-01-01T00:00:00Z",
        "sender": {"name": lab.sender.name, "public_key": lab.sender.public_key,
                   "fingerprint": lab.sender.fingerprint},
        "recipient": {"name": lab.recipient.name, "age_recipient": lab.recipient.age_recipient},
        "payload": {"name": PAYLOAD, "sha256": sha256(payload), "size": len(payload)}})


def package(lab: Lab, inner: list[Entry] | None = None, package_id: str = PID,
            env: Callable[[bytes], bytes] | None = None, outer: Callable[[list[Entry]], list[Entry]] | None = None,
            outer_compress: int = zipfile.ZIP_STORED) -> Path:
    """Write a crafted package to ``lab.file``: the inner members (default: a valid set), encrypted
    to the recipient, in an envelope signed by the sender; ``env`` and ``outer`` rewrite the
    envelope's bytes (before signing) and the outer member list."""
    inner = inner if inner is not None else list(signed_files(lab).items())
    to = x25519.Recipient.from_str(lab.recipient.age_recipient)
    payload = pyrage.encrypt(zip_of(inner, zipfile.ZIP_DEFLATED), [to])
    env_bytes = envelope(lab, payload, package_id)
    if env is not None:
        env_bytes = env(env_bytes)
    entries: list[Entry] = [(ENVELOPE, env_bytes), (SIGNATURE, lab.sender.sign(env_bytes).encode()), (PAYLOAD, payload)]
    lab.file.write_bytes(zip_of(outer(entries) if outer else entries, outer_compress))
    return lab.file


def tree(root: Path) -> dict[str, tuple[bool, int, int]]:
    return {str(p.relative_to(root)): (p.is_symlink(), p.lstat().st_size, p.lstat().st_mtime_ns)
            for p in root.rglob("*")}


def refused(lab: Lab, run_cli: Any, *needles: str, verify: bool = False) -> str:
    """Open (and, for outer-level attacks, verify) the crafted package: exit 7, one line naming
    the culprit, and the sandbox exactly as it was."""
    before = tree(lab.root)
    commands = [["package", "open", lab.file, "--key", lab.key_file, "--out", lab.out, "--allow-unknown-sender"]]
    if verify:
        commands.append(["package", "verify", lab.file])
    message = ""
    for args in commands:
        r = run_cli(*args)
        assert r.exit_code == 7, (args[1], r.output)
        assert r.stderr.startswith("tasman: error:") and r.stderr.count("\n") == 1, r.stderr
        assert "Traceback" not in r.output
        for needle in needles:
            assert needle in r.stderr, r.stderr
        message = r.stderr
    assert tree(lab.root) == before
    assert not lab.out.exists()
    return message


def test_a_valid_crafted_package_opens(lab: Lab, run_cli: Any) -> None:
    """The crafting helpers make a package Tasman accepts, so each refusal below is the attack's."""
    package(lab)
    r = run_cli("package", "open", lab.file, "--key", lab.key_file, "--out", lab.out, "--allow-unknown-sender")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (lab.out / PID).iterdir()) == ["manifest.json", "manifest.sig", "package.json"]


def test_an_unknown_sender_is_refused_by_open_without_the_flag(lab: Lab, run_cli: Any) -> None:
    package(lab)
    before = tree(lab.root)
    r = run_cli("package", "open", lab.file, "--key", lab.key_file, "--out", lab.out)
    assert r.exit_code == 7 and "--allow-unknown-sender" in r.stderr and r.stderr.count("\n") == 1
    assert tree(lab.root) == before


def test_an_unknown_sender_is_refused_by_open_in_a_workspace(lab: Lab, run_cli: Any) -> None:
    package(lab)
    ws = lab.root / "ws"
    assert run_cli("init", ws).exit_code == 0
    r = run_cli("-w", ws, "package", "open", lab.file, "--key", lab.key_file, "--out", lab.out)
    assert r.exit_code == 7 and "not in the agency directory" in r.stderr
    assert not lab.out.exists()
    identity = lab.root / "mallory" / keys.KEYS_DIR / keys.IDENTITY_FILE
    assert run_cli("-w", ws, "agency", "import", identity).exit_code == 0
    r = run_cli("-w", ws, "package", "open", lab.file, "--key", lab.key_file, "--out", lab.out)
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize(("member", "why"), [
    ("../../escaped.txt", "'..'"),
    ("package.json/../../escaped.txt", "'..'"),
    ("C:/escaped.txt", "drive letter"),
    ("C:escaped.txt", "drive letter"),
    ("..\\escaped.txt", "backslash"),
    ("dossier\x1b[2J.html", "control character"),
    ("dossier\u202ehtml", "control character"),
    ("", "empty name"),
    ("notes.txt", "not a member"),
    ("sub/package.json", "folder"),
])
def test_hostile_inner_member_names_are_refused(lab: Lab, run_cli: Any, member: str, why: str) -> None:
    package(lab, [*signed_files(lab).items(), (member, b"x")])
    refused(lab, run_cli, repr(member), why)
    assert not (lab.root / "escaped.txt").exists() and not (lab.root / "sandbox" / "escaped.txt").exists()


def test_an_absolute_inner_member_is_refused(lab: Lab, run_cli: Any) -> None:
    victim = lab.root / "victim.txt"
    package(lab, [*signed_files(lab).items(), (str(victim), b"x")])
    refused(lab, run_cli, repr(str(victim)), "absolute path")
    assert not victim.exists()


def test_a_symlink_member_is_refused(lab: Lab, run_cli: Any) -> None:
    link = zipfile.ZipInfo("dossier.html", date_time=(1980, 1, 1, 0, 0, 0))
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    package(lab, [*signed_files(lab).items(), (link, str(lab.root / "victim.txt").encode())])
    refused(lab, run_cli, "'dossier.html'", "symbolic link")


def test_duplicate_members_are_refused(lab: Lab, run_cli: Any) -> None:
    files = signed_files(lab)
    package(lab, [*files.items(), ("package.json", b"{}")])
    refused(lab, run_cli, "'package.json'", "duplicate")


def test_an_extra_outer_member_is_refused(lab: Lab, run_cli: Any) -> None:
    package(lab, outer=lambda e: [*e, ("readme.txt", b"hello")])
    refused(lab, run_cli, "4 members", verify=True)


def test_a_renamed_outer_member_is_refused(lab: Lab, run_cli: Any) -> None:
    package(lab, outer=lambda e: [e[0], e[1], ("../payload.age", e[2][1])])
    refused(lab, run_cli, "'../payload.age'", verify=True)


@pytest.mark.parametrize("hostile", ["../../x", "/tmp/x", "a/b", "..", ".", "x" * 200, "a\nb"])
def test_a_hostile_package_id_in_the_envelope_is_refused(lab: Lab, run_cli: Any, hostile: str) -> None:
    package(lab, package_id=hostile)
    refused(lab, run_cli, repr(hostile), "package id", verify=True)


@pytest.mark.parametrize("hostile", ["../../x", "/tmp/x", "a/b"])
def test_a_hostile_package_id_in_the_document_is_refused(lab: Lab, run_cli: Any, hostile: str) -> None:
    body = json.dumps(document(lab, package_id=hostile)).encode()
    manifest = canonical_json({"package_id": hostile, "schema_version": SCHEMA_VERSION,
                               "files": {"package.json": sha256(body)}})
    package(lab, list(signed_files(lab, body, manifest).items()))
    refused(lab, run_cli, repr(hostile), "package.json")


def test_a_compressed_outer_member_is_refused(lab: Lab, run_cli: Any) -> None:
    package(lab, outer_compress=zipfile.ZIP_DEFLATED)
    refused(lab, run_cli, "'envelope.json'", "compressed", verify=True)


def test_a_huge_member_count_is_refused_before_the_directory_is_read(lab: Lab, run_cli: Any) -> None:
    package(lab, outer=lambda e: [*e, *((f"m{i}", b"") for i in range(20_000))])
    refused(lab, run_cli, "20003 members", verify=True)


@pytest.mark.parametrize("where", ["envelope", "package.json", "manifest"])
def test_deep_json_is_refused(lab: Lab, run_cli: Any, where: str) -> None:
    deep = b"[" * 20_000 + b"]" * 20_000     # within the envelope's 64 KiB, far over the depth limit
    if where == "envelope":
        package(lab, env=lambda b: b[:-1] + b',"x":' + deep + b"}")
    elif where == "package.json":
        body = json.dumps(document(lab)).encode()
        package(lab, list(signed_files(lab, body[:-1] + b', "x": ' + deep + b"}").items()))
    else:
        manifest = b'{"package_id":"' + PID.encode() + b'","files":' + deep + b"}"
        package(lab, list(signed_files(lab, manifest=manifest).items()))
    refused(lab, run_cli, "nested", "levels deep", verify=where == "envelope")


BOMB = 512 << 20


@functools.cache
def _deflate_bomb(size: int = BOMB) -> tuple[bytes, int]:
    """Raw deflate of ``size`` zero bytes (about 1/1000 of it), made in chunks, and its CRC."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk, crc, parts = bytes(1 << 20), 0, []
    for _ in range(size >> 20):
        parts.append(comp.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    parts.append(comp.flush())
    return b"".join(parts), crc


def _bomb_package(lab: Lab, declared: int) -> Path:
    """A package of about 2.5 MB whose envelope.json is a deflated run of 512 MiB of zeros that
    says it holds ``declared`` bytes, beside a 2 MB payload (zipfile cannot write a member from
    already-compressed bytes, so the ZIP is laid out by hand)."""
    data, crc = _deflate_bomb()
    pad = bytes(2 << 20)
    return _write_raw_zip(lab.file, [(ENVELOPE, zipfile.ZIP_DEFLATED, data, crc, declared),
                                     (SIGNATURE, zipfile.ZIP_STORED, b"x", zlib.crc32(b"x"), 1),
                                     (PAYLOAD, zipfile.ZIP_STORED, pad, zlib.crc32(pad), len(pad))])


def _write_raw_zip(path: Path, members: list[tuple[str, int, bytes, int, int]]) -> Path:
    """A minimal ZIP of already-compressed members: (name, method, data, crc, declared size)."""
    body, central = io.BytesIO(), io.BytesIO()
    for name, method, data, crc, declared in members:
        offset = body.tell()
        n = name.encode()
        body.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(data), declared,
                               len(n), 0) + n + data)
        central.write(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc, len(data),
                                  declared, len(n), 0, 0, 0, 0, 0o644 << 16, offset) + n)
    cd = central.getvalue()
    start = body.tell()
    body.write(cd + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(cd), start, 0))
    path.write_bytes(body.getvalue())
    return path


@pytest.mark.parametrize("declared", [BOMB, 100])
def test_a_2mb_package_that_inflates_is_refused_by_verify_in_little_memory(lab: Lab, run_cli: Any,
                                                                          declared: int) -> None:
    """The review's 2 MB package took 4.5 GB in verify. Whether the bomb declares its size or
    lies about it, verify refuses it having inflated at most the envelope's limit."""
    path = _bomb_package(lab, declared)
    assert path.stat().st_size < 5 << 20
    tracemalloc.start()
    try:
        with pytest.raises(IntegrityError, match=r"envelope\.json") as err:
            container.check(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "\n" not in str(err.value)
    assert peak < 32 << 20, peak
    refused(lab, run_cli, "'envelope.json'", verify=True)


def test_an_oversized_package_file_is_refused_before_it_is_read(lab: Lab, monkeypatch: pytest.MonkeyPatch,
                                                                run_cli: Any) -> None:
    package(lab)
    monkeypatch.setattr(container, "MAX_PACKAGE_BYTES", lab.file.stat().st_size - 1)
    refused(lab, run_cli, "over the package limit", verify=True)


def test_an_inner_member_over_its_limit_is_refused(lab: Lab, monkeypatch: pytest.MonkeyPatch, run_cli: Any) -> None:
    package(lab, [*signed_files(lab).items(), ("dossier.html", bytes(1 << 20))])
    monkeypatch.setattr(container, "MAX_INNER_MEMBER_BYTES", 1 << 19)
    refused(lab, run_cli, "'dossier.html'", "over its limit")


def test_open_never_follows_a_planted_link_for_the_package_folder(lab: Lab) -> None:
    package(lab)
    elsewhere = lab.root / "elsewhere"
    elsewhere.mkdir()
    lab.out.mkdir()
    (lab.out / PID).symlink_to(elsewhere, target_is_directory=True)
    ident = keys.read_age_identity(lab.key_file)
    with pytest.raises(IntegrityError, match="symbolic link"):
        open_to(None, "t", lab.file, ident, lab.out, allow_unknown_sender=True)
    assert list(elsewhere.iterdir()) == []


def test_open_never_writes_into_a_folder_that_holds_anything(lab: Lab) -> None:
    package(lab)
    (lab.out / PID).mkdir(parents=True)
    (lab.out / PID / "package.json").symlink_to(lab.root / "victim.txt")
    ident = keys.read_age_identity(lab.key_file)
    with pytest.raises(AlreadyExistsError):
        open_to(None, "t", lab.file, ident, lab.out, allow_unknown_sender=True)
    assert not (lab.root / "victim.txt").exists()


def test_write_folder_refuses_what_is_not_a_package_member_even_when_called_directly(tmp_path: Path) -> None:
    with pytest.raises(IntegrityError, match=re.escape("'../x'")):
        container.write_folder(tmp_path / "out", PID, {"../x": b""})
    with pytest.raises(IntegrityError, match=re.escape("'../../x'")):
        container.write_folder(tmp_path / "out", "../../x", {"package.json": b""})
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def workspace(tmp_path: Path, run_cli: Any) -> Path:
    ws = tmp_path / "ws"
    assert run_cli("init", ws).exit_code == 0
    assert run_cli("-w", ws, "case", "create", "OP-1").exit_code == 0
    return ws


def _one_line(r: Any, code: int, *needles: str) -> None:
    assert r.exit_code == code, r.output
    assert r.stderr.startswith("tasman: error:") and r.stderr.count("\n") == 1, r.stderr
    for needle in needles:
        assert needle in r.stderr, r.stderr


def test_a_deep_outcome_report_is_refused(tmp_path: Path, workspace: Path, run_cli: Any) -> None:
    report = tmp_path / "outcome.json"
    report.write_bytes(b'{"report": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    _one_line(run_cli("-w", workspace, "outcome", "import", report, "--case", "OP-1"), 5, "levels deep")


def test_an_oversized_outcome_report_is_refused(tmp_path: Path, workspace: Path, run_cli: Any) -> None:
    report = tmp_path / "outcome.json"
    report.write_bytes(b'{"report": "' + b"x" * (2 << 20) + b'"}')
    _one_line(run_cli("-w", workspace, "outcome", "import", report, "--case", "OP-1"), 5, "byte limit")


def test_a_yaml_alias_bomb_identity_is_refused(tmp_path: Path, workspace: Path, run_cli: Any) -> None:
    """The billion laughs: nine levels of nine aliases each. safe_load builds it as shared lists in
    no time, but the first str() of the name would take gigabytes."""
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    lines += ["name: *l9", "countries: [PH]", "age_recipient: *l9"]
    bomb = tmp_path / "identity.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    tracemalloc.start()
    try:
        r = run_cli("-w", workspace, "agency", "import", bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    _one_line(r, 5, "alias", "line 2")
    assert peak < 64 << 20
    assert run_cli("-w", workspace, "agency", "list", "--json").output.strip() == "[]"


def test_an_oversized_identity_is_refused(tmp_path: Path, workspace: Path, run_cli: Any) -> None:
    big = tmp_path / "identity.yaml"
    big.write_text("name: x\ncontact: " + "x" * (2 << 20) + "\n")
    _one_line(run_cli("-w", workspace, "agency", "import", big), 5, "byte limit")


@pytest.mark.parametrize("command", ["verify", "agency", "outcome"])
def test_a_fifo_is_refused_without_blocking(tmp_path: Path, workspace: Path, run_cli: Any, command: str) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    args = {"verify": ("package", "verify", fifo), "agency": ("agency", "import", fifo),
            "outcome": ("outcome", "import", fifo, "--case", "OP-1")}[command]
    _one_line(run_cli("-w", workspace, *args), 5, "not a regular file")
