"""The element an exchange's response failed on, for the one-line reason of a failed fetch.

python-threatexchange's clients raise from inside their parsers without saying which record
they were reading (NCMEC's client raises a bare ``IndexError`` for an entry without ``<id>``,
then wraps it in an ``Exception`` holding the whole response; ThreatExchange's raises
``KeyError('last_updated')``). The record is still there, in the failing frame of the
library's own code: ``offending`` finds it there (an XML element, a ThreatExchange update, or
the JSON object that lacks the missing key) and renders it short. Guarantee: it only reads the
traceback; it never raises, and answers None when it finds nothing to name.
"""

from __future__ import annotations

import json
import types
import xml.etree.ElementTree as ET
from typing import Any

LIMIT = 240
_LIBRARY = "threatexchange"


def printable(text: str) -> str:
    """``text`` with what a terminal would act on (escape sequences, bells) written as ``\\xNN``:
    an exchange's text is shown to the investigator, never obeyed by their terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else ascii(c)[1:-1] for c in text)


def _short(text: str) -> str:
    text = printable(" ".join(text.split()))
    return text if len(text) <= LIMIT else text[:LIMIT] + "..."


def _render(value: Any) -> str | None:
    element = value if isinstance(value, ET.Element) else getattr(value, "element", None)
    if isinstance(element, ET.Element) and element.tag:
        return _short(ET.tostring(element, encoding="unicode"))
    raw = getattr(value, "raw_json", None)
    if isinstance(raw, dict):
        return _short(json.dumps(raw, sort_keys=True, default=str))
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _library_frames(tb: types.TracebackType | None) -> list[types.FrameType]:
    frames = []
    while tb is not None:
        if _LIBRARY in tb.tb_frame.f_code.co_filename:
            frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames


def _in_frame(exc: BaseException, frame: types.FrameType) -> str | None:
    local = dict(frame.f_locals)
    if isinstance(exc, KeyError) and exc.args:
        missing = exc.args[0]
        for value in local.values():
            if isinstance(value, dict) and value and missing not in value:
                return f"{_short(json.dumps(value, sort_keys=True, default=str))} without {missing!r}"
    key = local.get("key")
    for name in ("self", *local):
        found = _render(local.get(name))
        if found is not None:
            return f"{key!r} of {found}" if isinstance(key, str) else found
    return None


def offending(exc: BaseException) -> str | None:
    """The record the exchange's client failed on, rendered short, or None."""
    try:
        for inner in reversed(_chain(exc)):            # the original cause first
            for frame in reversed(_library_frames(inner.__traceback__)):   # the innermost first
                found = _in_frame(inner, frame)
                if found is not None:
                    return found
    except Exception:   # naming the element is a courtesy: it must never hide the failure itself
        return None
    return None


def reason(exc: BaseException) -> str:
    """``Type: message`` of a failure, with its original cause and the element it failed on."""
    text = " ".join(str(a) for a in exc.args if not isinstance(a, bytes | bytearray)) if exc.args else str(exc)
    text = _short(text.replace("%s", "").strip(" :"))
    line = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    chain = _chain(exc)
    if len(chain) > 1:
        root = chain[-1]
        line += f"; caused by {type(root).__name__}" + (f": {_short(str(root))}" if str(root) else "")
    where = offending(exc)
    return line + (f" (at {where})" if where else "")
