"""Tip reports: the Tasman tip JSON (a document, a list, or JSONL) and CyberTipline-style XML.

One record per report: the reported person or user. Every email, phone, screen name and IP
capture event goes into ``identifiers``; the first of each also fills the flat field, so tips
and order lists are compared on the same columns. Incident and file details (names and hashes,
never content) are kept under ``extra``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tasman.core import safejson
from tasman.core.errors import InputError, LimitError
from tasman.extract.statements import self_statements
from tasman.records.dates import parse_date, parse_timestamp
from tasman.records.importers.base import Importer, Options, Parsed, checked_platform, clean_text, country_code
from tasman.records.importers.chats import screen_name_entry
from tasman.records.importers.tips_xml import xml_reports
from tasman.records.tabular import decode_lines
from tasman.records.tipformat import Tip


def tip_fields(tip: Tip, out: Parsed | None = None, ref: object = "") -> dict[str, Any]:
    """A tip's fields; ``out``: where a refused platform name is reported (else it is left out quietly)."""
    def platform_of(raw: str) -> str:
        return checked_platform(raw, out if out is not None else Parsed("tips", ""), ref).lower()

    p = tip.person_or_user_reported
    f: dict[str, Any] = {}
    ids: list[dict[str, Any]] = []
    for k, v in (("name", p.name), ("first_name", p.first_name), ("last_name", p.last_name)):
        if v:
            f[k] = clean_text(v)
    if p.dob and (d := parse_date(p.dob)):
        f["dob"] = d
    for e in p.emails:
        ids.append({"type": "email", "raw": e})
    for ph in p.phones:
        ids.append({"type": "phone", "raw": ph})
    platform = platform_of(p.esp_service or tip.incident.platform)
    region = country_code(p.addresses[0].country if p.addresses else
                          p.estimated_location.country_code if p.estimated_location else None)
    if p.screen_name and p.screen_name.strip():
        ids.append(screen_name_entry(clean_text(p.screen_name), platform, region))
        f["username"] = clean_text(p.screen_name)
        if platform:
            f["platform"] = platform
    for acc in p.associated_accounts:
        if acc.screen_name and acc.screen_name.strip():
            ids.append(screen_name_entry(clean_text(acc.screen_name), platform_of(acc.platform), region))
        ids.extend({"type": "email", "raw": e} for e in acc.emails)
        ids.extend({"type": "phone", "raw": ph} for ph in acc.phones)
    for ev in p.ip_capture_events:
        item: dict[str, Any] = {"type": "ip", "raw": ev.ip_address, "event": ev.event_name}
        if ev.date_time:
            item["at"] = parse_timestamp(ev.date_time) or ev.date_time
        ids.append(item)
    firsts = {"email": "email", "phone": "phone", "ip": "ip"}
    for item in ids:
        key = firsts.get(item["type"])
        if key and key not in f:
            f[key] = clean_text(item["raw"])
    addr = p.addresses[0] if p.addresses else None
    loc = p.estimated_location
    if addr is not None:
        for k in ("street", "city", "postcode", "region", "country"):
            if getattr(addr, k):
                f[k] = clean_text(getattr(addr, k))
    elif loc is not None:
        for k, v in (("city", loc.city), ("region", loc.region), ("country", loc.country_code)):
            if v:
                f[k] = clean_text(v)
    stated = quoted_statements(tip.incident.description, p.screen_name, country_code(f.get("country")))
    if stated:
        f["stated"] = stated
        if "city" not in f and (place := next((s for s in stated if s["kind"] in ("city", "place")), None)):
            f["city"] = place.get("name") or place["raw"]
            if place.get("country") and "country" not in f:
                f["country"] = place["country"]
        if "country" not in f and (cc := next((s for s in stated if s["kind"] == "country"), None)):
            f["country"] = cc["value"]
    when = tip.incident.date_time or tip.received_at
    if when and (ts := parse_timestamp(when)):
        f["timestamp"] = ts
    if ids:
        f["identifiers"] = ids
    extra: dict[str, Any] = {"incident": tip.incident.model_dump(exclude_defaults=True),
                             "reporter": tip.reporter.model_dump(exclude_defaults=True)}
    if loc is not None:
        country = country_code(loc.country_code)
        extra["estimated_location"] = {**loc.model_dump(exclude_defaults=True),
                                       **({"country": country} if country else {})}
    if p.display_names:
        extra["display_names"] = list(p.display_names)
    if p.profile_urls:
        extra["profile_urls"] = list(p.profile_urls)
    if tip.files:
        extra["files"] = [x.model_dump(exclude_defaults=True) for x in tip.files]
    f["extra"] = {k: v for k, v in extra.items() if v}
    return f


# whom the reporter quotes (never a bare pronoun: "she said" may be the caller), and the verb of
# saying: English, Spanish, Portuguese, French, German, Polish
_WHO = (r"(?:the\s+)?(?:(?:user|suspect|subject|offender|account(?:\s+holder)?)|reported\s+(?:person|user))|"
        r"(?:el|la)\s+(?:usuari[oa]|sospechos[oa]|denunciad[oa])|"
        r"(?:o|a)\s+(?:usu[áa]ri[oa]|suspeit[oa]|denunciad[oa])|"
        r"l['’]\s*utilisat(?:eur|rice)|le\s+suspect|"
        r"(?:der|die)\s+(?:nutzer(?:in)?|benutzer(?:in)?|verdächtige)|użytkownik|użytkowniczka")
_VERBS = (r"(?:(?:me|le|les|nos|lhe|lhes|m['’]|lui|mir|ihr|mi|jej)\s*)?"
          r"(?:said|says|wrote|writes|stated|states|claimed|claims|typed|posted|told\s+\w+(?:\s+\w+)?|"
          r"dijo|escribi[óo]|afirm[óo]|disse|escreveu|afirmou|a\s+(?:écrit|dit)|écrit|dit|"
          r"schrieb|sagte|schreibt|sagt|napisał(?:a)?|powiedział(?:a)?)")
_QUOTE = r"(?:\s+(?:to|a|à|an|do|da|al)\s+\w+(?:\s+\w+)?)?\s*[:,]?\s*(?:that\s+)?[\"“«„]([^\"”»“]{1,400})[\"”»“]"


def quoted_statements(description: str, screen_name: str, region: str | None) -> list[dict[str, Any]]:
    """What a tip quotes the reported person saying about themselves: only the reporter's quotes
    of *them* ("the user wrote: "I'm Marta from Lyon"", ``screen_name`` said "..."), never the
    description's own first person, which is the reporter's. Each fact with ``where`` and its
    pattern (``tasman.extract.statements``)."""
    if not description:
        return []
    who = [f"(?:{_WHO})"]
    if screen_name.strip():
        who.append(r"@?" + re.escape(screen_name.strip()))
    alts = "|".join(who)
    said = re.compile(rf"(?<![\w@.])(?:{alts})\s+{_VERBS}{_QUOTE}", re.IGNORECASE)
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for m in said.finditer(description[:20_000]):
        for st in self_statements(m.group(1), region):
            if (st.kind, st.value) not in seen:
                seen.add((st.kind, st.value))
                out.append({**st.as_dict(), "where": "incident.description"})
    return out


def _json_reports(text: str, source: str) -> list[tuple[str, Any]]:
    """``(reference, object)`` for every report in a JSON document or a JSONL file. A document
    nested deeper than ``safejson.MAX_DEPTH`` is refused whole; in JSON lines, only its line."""
    stripped = text.lstrip()
    jsonl = stripped.startswith("{") and "\n" in stripped.strip()
    try:
        doc = safejson.loads(stripped)
    except safejson.DepthError as exc:
        if not jsonl:
            raise LimitError(f"{source}: {exc}") from None
        doc = None
    except json.JSONDecodeError:
        doc = None
        if not jsonl:
            raise InputError(f"{source} is neither JSON nor JSON lines") from None
    if doc is not None:
        if isinstance(doc, dict) and isinstance(doc.get("tips"), list):
            items = doc["tips"]
        elif isinstance(doc, list):
            items = doc
        elif isinstance(doc, dict):
            items = [doc]
        else:
            raise InputError(f"{source}: expected a tip, a list of tips or {{\"tips\": [...]}}")
        return [(f"report {i}", obj) for i, obj in enumerate(items, start=1)]
    out: list[tuple[str, Any]] = []
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append((f"line {i}", safejson.loads(line)))
        except ValueError as exc:
            out.append((f"line {i}", exc))
    return out


class TipsImporter(Importer):
    kind = "tips"
    description = "tip reports: Tasman tip JSON/JSONL or CyberTipline-style XML"

    def parse(self, path: Path, options: Options) -> Parsed:
        data, source = self.read_source(path, options)
        out = Parsed(kind=self.kind, source=source)
        text = decode_lines(data)[0]
        if text.lstrip().startswith("<"):
            reports: list[tuple[str, Any]] = xml_reports(data, source)
        else:
            reports = _json_reports(text, source)
        seen: dict[str, str] = {}
        for n, (ref, obj) in enumerate(reports, start=1):
            out.total += 1
            if isinstance(obj, safejson.DepthError):
                out.skip(ref, str(obj))
                continue
            if isinstance(obj, Exception):
                out.skip(ref, f"not JSON ({obj})")
                continue
            if not isinstance(obj, dict):
                out.skip(ref, "not a tip object")
                continue
            try:
                tip = Tip.model_validate(obj)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(x) for x in first["loc"])
                out.skip(ref, f"{where}: {first['msg']}")
                continue
            fields = tip_fields(tip, out, ref)
            if not any(k in fields for k in ("name", "first_name", "last_name", "identifiers", "username")):
                out.skip(ref, "no reported person or user")
                continue
            source_id = tip.report_id or str(n)
            if source_id in seen:
                out.skip(ref, f"report id {source_id!r} already used by {seen[source_id]}")
                continue
            seen[source_id] = ref
            out.rows.append((source_id, fields))
        return out
