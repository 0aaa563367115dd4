"""Artifact paths: ``laptop.E01!/p2/Users/a/x.jpg``, ``phone.zip!/inner.zip!/a.jpg``.

Each ``!/`` steps into a container (archive, disk image, partition). Inside a container the
path uses ``/`` whatever the host system, so a path reads the same on every machine.
"""

from __future__ import annotations

SEP = "!/"


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
