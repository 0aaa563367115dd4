"""Operation chat logs in the generic JSONL chat format, one record per session.

Each line is ``{"session", "platform", "counterpart", "messages": [{"t", "from", "text"}]}``
(optionally ``"country"``: where the operation believes the counterpart is). Identifiers are
taken from the counterpart's own messages only, by the extraction stage's scanner: what the
operator wrote (decoy addresses, questions quoting a number) never describes the suspect. A
country the counterpart names is used to read their national-format phone numbers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tasman.extract.identifiers import clean_country
from tasman.records.dates import parse_timestamp
from tasman.records.importers.base import Importer, Options, Parsed, clean_text
from tasman.records.tabular import decode_lines

FLAT = {"email": "email", "phone": "phone", "ip": "ip", "city": "city", "country": "country"}


def _scan(text: str, region: str | None) -> list[Any]:
    from tasman.extract.scan import scan_text

    return list(scan_text(text, region=region))


def _same_person(sender: str, counterpart: str) -> bool:
    def norm(x: str) -> str:
        return x.strip().lstrip("@").casefold()

    return bool(sender) and norm(sender) == norm(counterpart)


def session_fields(session: dict[str, Any]) -> dict[str, Any]:
    platform = clean_text(session.get("platform") or "").lower()
    counterpart = clean_text(session.get("counterpart") or "")
    msgs = [m for m in session.get("messages") or [] if isinstance(m, dict)]
    theirs = [(i, clean_text(m.get("text") or "")) for i, m in enumerate(msgs)
              if _same_person(str(m.get("from") or ""), counterpart)]
    stated = clean_country(str(session.get("country") or ""))
    region = stated.value if stated else None
    found: list[tuple[int, Any]] = [(i, f) for i, t in theirs for f in _scan(t, region)]
    if region is None:
        countries = [f.identifier.value for _, f in found if str(f.identifier.type) == "country"]
        if countries:  # read national numbers with the country they say they are in
            region = countries[0]
            found = [(i, f) for i, t in theirs for f in _scan(t, region)]
    f: dict[str, Any] = {}
    if platform:
        f["platform"] = platform
    if counterpart:
        f["username"] = counterpart
    ids: list[dict[str, Any]] = []
    if counterpart and platform:
        ids.append({"type": "handle", "raw": counterpart, "platform": platform})
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
            f[flat] = ident.value
    if region and "country" not in f:
        f["country"] = region
    times = [ts for m in msgs if (ts := parse_timestamp(m.get("t"))) if m.get("t") not in (None, "")]
    if times:
        f["timestamp"] = min(times)
    if ids:
        f["identifiers"] = ids
    f["extra"] = {"messages": len(msgs), "counterpart_messages": len(theirs),
                  **({"first": min(times), "last": max(times)} if times else {})}
    return f


class ChatsImporter(Importer):
    kind = "chats"
    description = "operation chat logs, generic JSONL chat format (one record per session)"

    def parse(self, path: Path, options: Options) -> Parsed:
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
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                out.skip(f"line {n}", f"not JSON ({exc.msg})")
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
            out.rows.append((sid, session_fields(obj)))
        return out
