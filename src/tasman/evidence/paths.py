"""Artifact paths: ``laptop.E01!/p2/Users/a/x.jpg``, ``phone.zip!/inner.zip!/a.jpg``.

Each ``!/`` steps into a container (archive, disk image, partition). Inside a container the
path uses ``/`` whatever the host system, so a path reads the same on every machine.

A member's name is evidence too: whatever it is (``../../x.jpg``, ``/etc/x``, control
characters, a 10,000-byte name, a name used twice), the member is read, hashed and matched.
``render_member`` gives the name a rendering that is safe to show, store and split on ``!/``
(percent escapes: ``..`` steps as ``%2E%2E``, a leading ``/`` as ``%2F``, control characters as
``%XX``), and says what was wrong with it (``NAME_FLAGS``). Names are only ever read: nothing is
extracted to a path made from one.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import quote

SEP = "!/"
MAX_COMPONENT_BYTES = 255           # most file systems' limit on one name
MAX_NAME_BYTES = 4096               # Linux's PATH_MAX
NAME_FLAGS = ("climbs_out", "absolute", "control_chars", "too_long", "duplicate", "empty")
_DRIVE = re.compile(r"^[A-Za-z]:$")
_BIDI = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"}


def join_path(*parts: str) -> str:
    """Join an outer path and the paths inside nested containers."""
    cleaned = [parts[0].rstrip("/")] + [p.strip("/") for p in parts[1:]]
    for p in cleaned:
        if SEP in p:
            raise ValueError(f"path part {p!r} already contains {SEP!r}")
    return SEP.join(cleaned)


def split_path(path: str) -> list[str]:
    """The outer path followed by the path inside each nested container."""
    if not path:
        raise ValueError("empty artifact path")
    return path.split(SEP)


def safe_member(name: str) -> str:
    """A container member name made safe to show and store: no leading ``/``, no ``..`` steps.

    Raises ``ValueError`` for names that try to climb out (``../../x``): those are reported,
    never followed.
    """
    norm = name.replace("\\", "/")
    parts = [p for p in norm.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise ValueError(f"member name {name!r} climbs out of its container")
    if not parts:
        raise ValueError(f"empty member name {name!r}")
    return "/".join(parts)


def _control(c: str) -> bool:
    return unicodedata.category(c) == "Cc" or c in _BIDI


def _shorten(text: str, limit: int) -> str:
    """``text`` cut to fit ``limit`` UTF-8 bytes with ``~`` and 16 hex digits of its SHA-256 (so that
    two long names sharing a beginning stay apart)."""
    tag = "~" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    room = limit - len(tag)
    return text.encode("utf-8", "surrogatepass")[:room].decode("utf-8", "ignore") + tag


def _keep_last(parts: list[str]) -> list[str]:
    """The last steps that fit in a name of ``MAX_NAME_BYTES``, after one step standing for the others."""
    room = MAX_NAME_BYTES - MAX_COMPONENT_BYTES - 1
    keep: list[str] = []
    for p in reversed(parts):
        room -= len(p.encode("utf-8", "surrogatepass")) + 1
        if room < 0:
            break
        keep.insert(0, p)
    return [_shorten("%2F".join(parts[: len(parts) - len(keep)]), MAX_COMPONENT_BYTES), *keep]


def render_member(name: str) -> tuple[str, tuple[str, ...]]:
    """A container member's name rendered safe to show, store and split on ``!/``, and the flags
    (``NAME_FLAGS``) saying what was wrong with it.

    ``\\`` counts as ``/``; empty and ``.`` steps are dropped (``./DCIM//a.jpg`` is ``DCIM/a.jpg``,
    unflagged). A ``..`` step is kept visible and inert as ``%2E%2E`` (``climbs_out``); a leading
    ``/`` or drive letter as ``%2F`` / ``C%3A`` (``absolute``); control characters (and bidi
    overrides) as their UTF-8 bytes in ``%XX`` form (``control_chars``); a step over 255 bytes or
    a name over 4,096 keeps its last steps after one step standing for the others, cut the same
    way (``too_long``); an empty
    name is ``%00`` (``empty``). ``duplicate`` is the walk's: it sees every member of a container.
    """
    flags: list[str] = []
    norm = name.replace("\\", "/")
    parts = [p for p in norm.split("/") if p not in ("", ".")]
    lead = ""
    if norm.startswith("/"):
        flags.append("absolute")
        lead = "%2F"
    elif parts and _DRIVE.match(parts[0]):
        flags.append("absolute")
        parts[0] = parts[0][0] + "%3A"
    if any(p == ".." for p in parts):
        flags.append("climbs_out")
        parts = ["%2E%2E" if p == ".." else p for p in parts]
    if any(_control(c) for c in norm):
        flags.append("control_chars")
        parts = ["".join(quote(c, safe="") if _control(c) else c for c in p) for p in parts]
    if any(len(p.encode("utf-8", "surrogatepass")) > MAX_COMPONENT_BYTES for p in parts) \
            or len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        flags.append("too_long")
        parts = [_shorten(p, MAX_COMPONENT_BYTES) if len(p.encode("utf-8", "surrogatepass")) > MAX_COMPONENT_BYTES
                 else p for p in parts]
        if len("/".join(parts).encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
            parts = _keep_last(parts)
    if not parts:
        flags.append("empty")
        parts = ["%00"]
    return lead + "/".join(parts), tuple(flags)


def render_step(name: str) -> tuple[str, tuple[str, ...]]:
    """One name read from a file system inside a disk image, rendered as ``render_member`` renders
    a step: control characters (and a ``/`` inside the name, which no walk may split on) as
    ``%XX`` (``control_chars``), over 255 bytes cut (``too_long``)."""
    flags: list[str] = []
    if "/" in name or any(_control(c) for c in name):
        flags.append("control_chars")
        name = "".join(quote(c, safe="") if c == "/" or _control(c) else c for c in name)
    if len(name.encode("utf-8", "surrogatepass")) > MAX_COMPONENT_BYTES:
        flags.append("too_long")
        name = _shorten(name, MAX_COMPONENT_BYTES)
    return name, tuple(flags)
