"""Operation chat logs in the generic JSONL chat format, one record per session.

Each line is ``{"session", "platform", "counterpart", "messages": [{"t", "from", "text"}]}``
(optionally ``"country"``: where the operation believes the counterpart is). Identifiers are
taken from the counterpart's own messages only, by the extraction stage's scanner: what the
operator wrote (decoy addresses, questions quoting a number) never describes the suspect. A
country the counterpart names is used to read their national-format phone numbers.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

from tasman.core import safejson
from tasman.core.errors import InputError
from tasman.extract.identifiers import IdType
from tasman.extract.screennames import screen_name
from tasman.extract.statements import self_statements
from tasman.records.dates import parse_timestamp
from tasman.records.importers.base import Importer, Options, Parsed, checked_platform, clean_text, country_code
from tasman.records.tabular import decode_lines

FLAT = {"email": "email", "phone": "phone", "ip": "ip", "city": "city", "country": "country"}


def _scan_all(texts: list[str], region: str | None) -> list[list[Any]]:
    """Finds per text: in one engine call when the scanner offers it (many short messages),
    else one ``scan_text`` each."""
    scan = importlib.import_module("tasman.extract.scan")  # the extraction stage's scanner
    if not texts:
        return []
    segments = getattr(scan, "default_scanner", None)
    if segments is not None and hasattr(segments(), "scan_segments"):
        return [list(fs) for fs in segments().scan_segments(texts, region)]
    return [list(scan.scan_text(t, region=region)) for t in texts]


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def _first_last(stamps: list[Any]) -> tuple[str, str] | None:
    if stamps and all(isinstance(t, str) and _ISO.match(t) for t in stamps):  # ordered as text: parse two
        a, b = parse_timestamp(min(stamps)), parse_timestamp(max(stamps))
        return (a, b) if a and b else None
    parsed = sorted(ts for t in stamps if (ts := parse_timestamp(t)))
    return (parsed[0], parsed[-1]) if parsed else None


def _same_person(sender: str, counterpart: str) -> bool:
    def norm(x: str) -> str:
        return x.strip().lstrip("@").casefold()

    return bool(sender) and norm(sender) == norm(counterpart)


def screen_name_entry(raw: str, platform: str, region: str | None) -> dict[str, Any]:
    """The ``identifiers`` entry of a screen name, typed as what it is (an email, a phone, a
    profile link's account, a URL; else a handle on the platform's namespace, ``unknown`` without)."""
    ident = screen_name(raw, platform, region)
    if ident is None or ident.type == IdType.HANDLE:
        return {"type": "handle", "raw": raw, "platform": platform,
                **({"value": ident.value} if ident is not None else {})}
    return {"type": str(ident.type), "raw": raw, "value": ident.value, "field": "username"}


def session_fields(session: dict[str, Any]) -> dict[str, Any]:
    platform = clean_text(session.get("platform") or "").lower()
    counterpart = clean_text(session.get("counterpart") or "")
    msgs = [m for m in session.get("messages") or [] if isinstance(m, dict)]
    theirs = [(i, clean_text(m.get("text") or "")) for i, m in enumerate(msgs)
              if _same_person(str(m.get("from") or ""), counterpart)]
    region = country_code(session.get("country"))
    texts = [t for _, t in theirs]

    def scan_all(reg: str | None) -> list[tuple[int, Any]]:
        return [(i, f) for (i, _), fs in zip(theirs, _scan_all(texts, reg), strict=True) for f in fs]

    found = scan_all(region)
    if region is None:
        countries = [f.identifier.value for _, f in found if str(f.identifier.type) == "country"]
        if countries:  # read national numbers with the country they say they are in
            region = countries[0]
            found = scan_all(region)
    f: dict[str, Any] = {}
    if platform:
        f["platform"] = platform
    if counterpart:
        f["username"] = counterpart
    ids: list[dict[str, Any]] = []
    if counterpart:
        ids.append(screen_name_entry(counterpart, platform, region))
        if ids[-1]["type"] in ("email", "phone"):  # an email or a phone given as the screen name
            f[ids[-1]["type"]] = ids[-1]["value"]
    seen: set[tuple[str, str]] = set()
    for i, item in found:
        ident = item.identifier
        key = (str(ident.type), ident.value)
        if key in seen:
            continue
        seen.add(key)
        entry: dict[str, Any] = {"type": str(ident.type), "value": ident.value, "raw": item.raw, "message": i}
        if ident.country:
            entry["country"] = ident.country
        if ident.meta.get("platform"):
            entry["platform"] = ident.meta["platform"]
        ids.append(entry)
        flat = FLAT.get(str(ident.type))
        if flat and flat not in f:
            # a city is stored as written (its identifier value carries the country: "US:reno")
            f[flat] = item.raw if flat == "city" else ident.value
        if str(ident.type) == "city" and ident.country and "country" not in f:
            f["country"] = ident.country
    stated = stated_facts(theirs, region)
    if stated:
        f["stated"] = stated
        _place_from_statements(f, stated)
    if region and "country" not in f:
        f["country"] = region
    span = _first_last([m.get("t") for m in msgs if m.get("t") not in (None, "")])
    if span:
        f["timestamp"] = span[0]
    if ids:
        f["identifiers"] = ids
    f["extra"] = {"messages": len(msgs), "counterpart_messages": len(theirs),
                  **({"first": span[0], "last": span[1]} if span else {})}
    return f


def stated_facts(lines: list[tuple[int, str]], region: str | None) -> list[dict[str, Any]]:
    """What the person says about themselves in their own lines (``tasman.extract.statements``):
    a name, a first name, a city, a country; each with the message it is in and the pattern that
    found it. The first statement of each kind and value is kept."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for i, text in lines:
        for st in self_statements(text, region):
            if (st.kind, st.value) not in seen:
                seen.add((st.kind, st.value))
                out.append({**st.as_dict(), "message": i})
    return out


def _place_from_statements(f: dict[str, Any], stated: list[dict[str, Any]]) -> None:
    """A place the person says they live in or come from is the record's place: it beats a city
    merely mentioned ("in Paris next week"), which the scanner takes from any "in" or "from". A
    place the gazetteer does not know is kept as written, its country left to what else the
    record says."""
    place = next((s for s in stated if s["kind"] in ("city", "place")), None)
    country = next((s for s in stated if s["kind"] == "country"), None)
    if place is not None:
        f["city"] = place.get("name") or place["raw"]
        if place.get("country"):
            f["country"] = place["country"]  # where they live, not where they come from
        elif country is not None:
            f["country"] = country["value"]
    elif country is not None:
        f["country"] = country["value"]


class ChatsImporter(Importer):
    kind = "chats"
    description = "operation chat logs, generic JSONL chat format (one record per session)"

    def parse(self, path: Path, options: Options) -> Parsed:
        if importlib.util.find_spec("tasman.extract.scan") is None:
            raise InputError("importing chats needs the extraction stage's scanner (tasman.extract.scan), "
                             "which this installation lacks")
        data, source = self.read_source(path, options)
        text, _enc, odd = decode_lines(data)
        out = Parsed(kind=self.kind, source=source)
        out.warnings.extend(f"{source}#line {ln}: not UTF-8, read as {e}" if ln else
                            f"{source}#file: not UTF-8, read as {e}" for ln, e in odd)
        sessions: dict[str, dict[str, Any]] = {}
        first_line: dict[str, int] = {}
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            out.total += 1
            try:
                obj = safejson.loads(line)
            except ValueError as exc:   # not JSON, or nested deeper than safejson's limit
                out.skip(f"line {n}", f"not JSON ({exc.msg})" if isinstance(exc, json.JSONDecodeError) else str(exc))
                continue
            if not isinstance(obj, dict) or not isinstance(obj.get("messages", []), list):
                out.skip(f"line {n}", "not a chat session object")
                continue
            if not obj.get("counterpart"):
                out.skip(f"line {n}", "no counterpart")
                continue
            sid = clean_text(obj.get("session") or "") or str(n)
            if sid in sessions:  # a session continued on a later line
                prev = sessions[sid]
                if clean_text(prev.get("counterpart") or "") != clean_text(obj.get("counterpart") or ""):
                    out.skip(f"line {n}", f"session {sid!r} (line {first_line[sid]}) has another counterpart")
                    continue
                prev["messages"] = list(prev.get("messages") or []) + list(obj.get("messages") or [])
                out.total -= 1
                continue
            sessions[sid] = dict(obj)
            first_line[sid] = n
        for sid, obj in sessions.items():
            obj["platform"] = checked_platform(obj.get("platform"), out, f"session {sid}")
            out.rows.append((sid, session_fields(obj)))
        return out
