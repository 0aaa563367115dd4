"""CyberTipline-style report XML -> the Tasman tip model's dictionaries.

Element names as in the CyberTipline reporting XML: ``report`` (one, or several under any
wrapper element), ``incidentSummary``, ``personOrUserReported`` with
``personOrUserReportedPerson``, ``screenName``, ``espService``, ``ipCaptureEvent``,
``estimatedLocation``, ``associatedAccount``, and ``fileDetails`` with ``originalFileHash``.
Elements Tasman does not use are ignored. Entity declarations are refused (no DTD tricks).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from tasman.core.errors import InputError


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(el: ET.Element | None, name: str) -> ET.Element | None:
    if el is None:
        return None
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _children(el: ET.Element | None, name: str) -> list[ET.Element]:
    return [] if el is None else [c for c in el if _local(c.tag) == name]


def _text(el: ET.Element | None, name: str) -> str:
    c = _child(el, name)
    return (c.text or "").strip() if c is not None else ""


def _phone(el: ET.Element) -> str:
    value = (el.text or "").strip()
    cc = el.get("countryCallingCode", "").strip().lstrip("+")
    return f"+{cc} {value}" if cc and not value.startswith("+") else value


def _person(el: ET.Element | None) -> dict[str, Any]:
    if el is None:
        return {}
    addresses = [{"street": _text(a, "address"), "city": _text(a, "city"), "postcode": _text(a, "zipCode"),
                  "region": _text(a, "state") or _text(a, "nonUsaState"), "country": _text(a, "country")}
                 for a in _children(el, "address")]
    return {"first_name": _text(el, "firstName"), "last_name": _text(el, "lastName"),
            "dob": _text(el, "dateOfBirth") or None,
            "emails": [(e.text or "").strip() for e in _children(el, "email") if (e.text or "").strip()],
            "phones": [_phone(p) for p in _children(el, "phone") if (p.text or "").strip()],
            "addresses": addresses}


def _ip_events(el: ET.Element | None) -> list[dict[str, Any]]:
    return [{"ip_address": _text(e, "ipAddress"), "event_name": _text(e, "eventName"),
             "date_time": _text(e, "dateTime") or None}
            for e in _children(el, "ipCaptureEvent") if _text(e, "ipAddress")]


def report_dict(rep: ET.Element) -> dict[str, Any]:
    summary = _child(rep, "incidentSummary")
    pur = _child(rep, "personOrUserReported")
    person = _person(_child(pur, "personOrUserReportedPerson"))
    loc = _child(pur, "estimatedLocation")
    accounts = [{"platform": _text(a, "platform"), "screen_name": _text(a, "screenName"),
                 "emails": [(e.text or "").strip() for e in _children(a, "email")],
                 "phones": [_phone(p) for p in _children(a, "phone")]}
                for a in _children(pur, "associatedAccount")]
    files = []
    for fd in _children(rep, "fileDetails"):
        item: dict[str, Any] = {"file_name": _text(fd, "fileName") or _text(fd, "originalFileName")}
        for h in _children(fd, "originalFileHash"):
            kind = h.get("hashType", "").lower().replace("-", "")
            if kind in ("md5", "sha1", "sha256"):
                item[kind] = (h.text or "").strip().lower()
        files.append(item)
    reporter = _child(rep, "reporter")
    rp = _child(reporter, "reportingPerson")
    return {
        "report_id": rep.get("id", "") or _text(rep, "reportId"),
        "reporter": {"type": "esp" if reporter is not None else "",
                     "name": " ".join(x for x in (_text(rp, "firstName"), _text(rp, "lastName")) if x)},
        "incident": {"type": _text(summary, "incidentType"), "date_time": _text(summary, "incidentDateTime") or None,
                     "platform": _text(summary, "platform"), "description": _text(rep, "additionalInfo")},
        "person_or_user_reported": {
            **person,
            "screen_name": _text(pur, "screenName"),
            "display_names": [(d.text or "").strip() for d in _children(pur, "displayName")],
            "esp_service": _text(pur, "espService"),
            "esp_identifier": _text(pur, "espIdentifier"),
            "profile_urls": [(u.text or "").strip() for u in _children(pur, "profileUrl")],
            "associated_accounts": accounts,
            "ip_capture_events": _ip_events(pur),
            "estimated_location": None if loc is None else {
                "city": _text(loc, "city"), "region": _text(loc, "region"),
                "country_code": _text(loc, "countryCode")},
        },
        "files": files,
    }


def xml_reports(data: bytes, source: str) -> list[tuple[str, Any]]:
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise InputError(f"{source}: XML with a DTD or entity declarations is refused")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise InputError(f"{source} is not well-formed XML ({exc})") from exc
    reports = [root] if _local(root.tag) == "report" else [el for el in root.iter() if _local(el.tag) == "report"]
    if not reports:
        raise InputError(f"{source}: no <report> element found")
    return [(f"report {i}", report_dict(r)) for i, r in enumerate(reports, start=1)]
