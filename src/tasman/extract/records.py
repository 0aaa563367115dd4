"""Identifiers in imported records: typed fields cleaned as their type (a record's own country
is the region of its national phone numbers), every other string field scanned."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from tasman.core.fields import country_field, field
from tasman.core.models import Record
from tasman.extract.detectors.base import Found
from tasman.extract.identifiers import (
    Identifier,
    clean_btc,
    clean_city,
    clean_country,
    clean_email,
    clean_eth,
    clean_handle,
    clean_iban,
    clean_ip,
    clean_phone,
)
from tasman.extract.process import scan_units
from tasman.extract.sources.base import Sighting, TextUnit, Unit


def _payment(raw: str) -> Identifier | None:
    return clean_iban(raw) or clean_btc(raw) or clean_eth(raw) or clean_email(raw)


def _typed(kind: str | None, fields: dict[str, Any], region: str | None) -> Callable[[str], Identifier | None] | None:
    """The cleaner of a field's identifier type (``core.fields``), None for free text."""
    if kind == "email":
        return clean_email
    if kind == "phone":
        return lambda v: clean_phone(v, region)
    if kind == "ip":
        return clean_ip
    if kind == "payment":
        return _payment
    if kind == "country":
        return clean_country
    if kind == "city":
        return lambda v: clean_city(v, region)
    if kind == "handle" and isinstance(fields.get("platform"), str):
        return lambda v: clean_handle(v, str(fields["platform"]))
    return None


def _region(fields: dict[str, Any], side: str | None) -> str | None:
    value = fields.get(country_field(side)) or fields.get("country")
    c = clean_country(value) if isinstance(value, str) and value.strip() else None
    return c.value if c else None


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    stack = [(path, value)]
    while stack:
        p, v = stack.pop()
        if isinstance(v, str):
            yield p, v
        elif isinstance(v, dict):
            stack.extend((f"{p}.{k}", x) for k, x in v.items())
        elif isinstance(v, list):
            stack.extend((f"{p}[{i}]", x) for i, x in enumerate(v))


def record_units(rec: Record) -> Iterator[Unit]:
    fields = rec.fields or {}
    for name, value in fields.items():
        typed = field(name)
        region = _region(fields, typed.side)
        if isinstance(value, str):
            cleaner = _typed(typed.identifier, fields, region)
            ident = cleaner(value) if cleaner and value.strip() else None
            if ident is not None:
                yield Sighting(Found(ident, value[:200], 0, len(value), f"{name}: {value[:120]}", f"record.{name}"),
                               message_id=name)
                continue
        for path, text in _strings(value, name):
            if text.strip():
                yield TextUnit(text=text, message_id=path[:200], region=region)


def scan_record(rec: Record) -> list[Sighting]:
    return list(scan_units(record_units(rec)))
