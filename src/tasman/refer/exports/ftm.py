"""FollowTheMoney entities (JSONL) for Aleph-like tools: a ``Person`` per subject (names,
e-mails and phones as properties), a ``BankAccount`` per IBAN tied to it by ``Ownership``, a
``UserAccount`` per handle (``owner``), IPs on the accounts' ``ipAddress``.

The subject reference is an identifier, not a name: ``idNumber``, qualified by the case
(``tasman:OP-1:S-000001``) because Aleph's cross-referencing weighs a shared identifier heavily
and two cases' ``S-000001`` are different people. It is never ``name`` or ``alias`` (which
cross-referencing compares as names); a nameless subject is named by its e-mail, handle or
phone, which match only where the identifier itself does.

Money-trail parties: a ``Person`` (a ``LegalEntity`` when only an identifier is known) with its
score and indicators in ``notes``, a ``BankAccount`` per account by ``Ownership``, and a
``Payment`` per transfer record that two parties of the same export share (payer and
beneficiary both present, so a country's export never names another country's party)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from followthemoney import model
from followthemoney.proxy import EntityProxy

from tasman.extract.identifiers import clean_iban
from tasman.refer.document import MoneyPartyEntry, SubjectEntry
from tasman.refer.exports import ExportSet


def _entity(schema: str, *key: str) -> EntityProxy:
    e = model.make_entity(schema)
    e.make_id("tasman", *key)
    return e


def ref_id(case_ref: str, ref: str) -> str:
    """Tasman's reference of a subject or party as an identifier unique beyond its case."""
    return f"tasman:{case_ref}:{ref}"


def _fallback_name(es: ExportSet, s: SubjectEntry) -> str:
    for typ in ("email", "handle", "phone"):
        for ident in s.identifiers:
            if ident.type == typ:
                return ident.value
    return ref_id(es.case_ref, s.ref)


def ftm_entities(es: ExportSet) -> Iterator[EntityProxy]:
    for s in es.subjects:
        key = (es.case_ref, s.ref)
        person = _entity("Person", *key)
        person.add("name", s.name or _fallback_name(es, s))
        person.add("idNumber", ref_id(es.case_ref, s.ref))
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


def _money_party(es: ExportSet, p: MoneyPartyEntry) -> Iterator[EntityProxy]:
    key = (es.case_ref, "money", p.role, p.key)
    who = _entity("Person" if p.name else "LegalEntity", *key)
    who.add("name", p.name or p.key)
    if p.ref:
        who.add("idNumber", ref_id(es.case_ref, p.ref))
    who.add("country", p.country)
    who.add("email", p.emails)
    who.add("phone", p.phones)
    reasons = "; ".join(f"{r.indicator} ({r.points:+g}): {r.why}" for r in p.reasons)
    who.add("notes", f"Money-trail {p.role} #{p.rank} of case {es.case_ref}, score {p.score:g} from indicators "
                     f"(not proof): {reasons}. TLP:{es.tlp.upper()}.")
    yield who
    for number in p.accounts:
        iban = clean_iban(number)
        acct = _entity("BankAccount", *key, number)
        if iban is not None:
            acct.add("iban", iban.value)
        else:
            acct.add("accountNumber", number)
        yield acct
        own = _entity("Ownership", *key, "owns", number)
        own.add("owner", who.id)
        own.add("asset", acct.id)
        own.add("role", "account holder (transfer records)")
        yield own


def _payments(es: ExportSet, ids: dict[tuple[str, str], str]) -> Iterator[EntityProxy]:
    paid_to: dict[str, str] = {}
    for p in es.money_parties:
        if p.role == "beneficiary":
            for ref in p.records:
                paid_to[ref] = ids[(p.role, p.key)]
    for p in es.money_parties:
        if p.role != "sender":
            continue
        for ref in p.records:
            if ref in paid_to:
                pay = _entity("Payment", es.case_ref, "money", ref)
                pay.add("payer", ids[(p.role, p.key)])
                pay.add("beneficiary", paid_to[ref])
                pay.add("recordId", ref)
                pay.add("summary", f"transfer record {ref} of case {es.case_ref}")
                yield pay


def money_entities(es: ExportSet) -> Iterator[EntityProxy]:
    ids: dict[tuple[str, str], str] = {}
    for p in es.money_parties:
        for e in _money_party(es, p):
            if e.schema.name in ("Person", "LegalEntity"):
                ids[(p.role, p.key)] = str(e.id)
            yield e
    yield from _payments(es, ids)


def validate(data: dict[str, Any]) -> EntityProxy:
    """Raise followthemoney's InvalidData (or ValueError) unless ``data`` is a valid entity."""
    schema = model.get(data.get("schema", ""))
    if schema is None:
        raise ValueError(f"unknown schema {data.get('schema')!r}")
    schema.validate(data)  # type: ignore[arg-type]
    return model.get_proxy(data, cleaned=False)


def to_jsonl(es: ExportSet) -> str:
    return "".join(json.dumps(e.to_dict(), sort_keys=True, ensure_ascii=False) + "\n"
                   for gen in (ftm_entities(es), money_entities(es)) for e in gen)
