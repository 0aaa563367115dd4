"""FollowTheMoney entities (JSONL) for Aleph-like tools: a ``Person`` per subject (names,
e-mails and phones as properties), a ``BankAccount`` per IBAN tied to it by ``Ownership``, a
``UserAccount`` per handle (``owner``), IPs on the accounts' ``ipAddress``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from followthemoney import model
from followthemoney.proxy import EntityProxy

from tasman.refer.exports import ExportSet


def _entity(schema: str, *key: str) -> EntityProxy:
    e = model.make_entity(schema)
    e.make_id("tasman", *key)
    return e


def ftm_entities(es: ExportSet) -> Iterator[EntityProxy]:
    for s in es.subjects:
        key = (es.case_ref, s.ref)
        person = _entity("Person", *key)
        person.add("name", s.name or s.ref)
        person.add("alias", s.ref)
        person.add("country", s.attribution.country)
        person.add("notes", f"Referral subject {s.ref} of case {es.case_ref}; TLP:{es.tlp.upper()}; suspect.")
        ips: list[str] = []
        for rec in s.records:
            addr = ", ".join(str(rec.fields[k]) for k in ("street", "postcode", "city", "country")
                             if isinstance(rec.fields.get(k), str) and rec.fields.get(k))
            if addr:
                person.add("address", addr)
        for ident in s.identifiers:
            if ident.type == "email":
                person.add("email", ident.value)
            elif ident.type == "phone":
                person.add("phone", ident.value)
            elif ident.type == "ip":
                ips.append(ident.value)
        yield person
        for ident in s.identifiers:
            if ident.type == "iban":
                acct = _entity("BankAccount", *key, ident.value)
                acct.add("iban", ident.value)
                acct.add("country", ident.country)
                yield acct
                own = _entity("Ownership", *key, "owns", ident.value)
                own.add("owner", person.id)
                own.add("asset", acct.id)
                own.add("role", "account holder (stated)")
                yield own
            elif ident.type == "handle":
                platform, _, name = ident.value.partition(":")
                ua = _entity("UserAccount", *key, ident.value)
                ua.add("username", name)
                ua.add("service", platform)
                ua.add("owner", person.id)
                for ip in ips:
                    ua.add("ipAddress", ip)
                yield ua


def validate(data: dict[str, Any]) -> EntityProxy:
    """Raise followthemoney's InvalidData (or ValueError) unless ``data`` is a valid entity."""
    schema = model.get(data.get("schema", ""))
    if schema is None:
        raise ValueError(f"unknown schema {data.get('schema')!r}")
    schema.validate(data)  # type: ignore[arg-type]
    return model.get_proxy(data, cleaned=False)


def to_jsonl(es: ExportSet) -> str:
    return "".join(json.dumps(e.to_dict(), sort_keys=True, ensure_ascii=False) + "\n" for e in ftm_entities(es))
