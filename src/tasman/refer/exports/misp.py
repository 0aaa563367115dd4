"""MISP event JSON: one event, a ``person`` object per subject, TLP and distribution set.

Semantics a MISP analyst can rely on (tests assert each):
- every personal identifier is ``to_ids: false``: a suspect's e-mail address, phone, IP or IBAN
  is not an indicator of compromise and must never flow into MISP's IDS exports;
- identifiers sit on the person through the ``person`` template's own relations (``e-mail``,
  ``phone-number``, ``handle``, ``ip-src``); only what the template lacks gets an object of its
  own, referenced from the person: ``bank-account`` (IBAN), ``coin-address`` (BTC, ETH),
  ``credit-card``. Kinds with no MISP home (URL, domain, PayPal, MTCN) are counted in the
  person's comment, never dropped in silence;
- the subject reference (``S-000001``) is Tasman's, not a name: a ``text`` attribute commented
  ``tasman-subject-ref`` with correlation disabled, so unrelated cases' ``S-000001`` never
  correlate; a nameless person gets a non-correlating placeholder name, never its reference.
Money-trail parties are ``person`` objects too (their reference commented ``tasman-party-ref``,
role, score and indicators in the object's comment), with their phones, e-mails and accounts."""

from __future__ import annotations

from collections import Counter

from pymisp import MISPEvent, MISPObject

from tasman.extract.identifiers import clean_iban
from tasman.refer.document import IdentifierEntry, MoneyPartyEntry, SubjectEntry
from tasman.refer.exports import ExportSet

DISTRIBUTIONS = {0: "your organisation only", 1: "this community only", 2: "connected communities",
                 3: "all communities", 4: "sharing group"}
SUBJECT_REF_COMMENT = "tasman-subject-ref"
PARTY_REF_COMMENT = "tasman-party-ref"
UNNAMED = "(name unknown)"
# identifier type -> the person template's own relation
PERSON_RELATIONS = {"email": "e-mail", "phone": "phone-number", "handle": "handle", "ip": "ip-src"}


def _add(obj: MISPObject, relation: str, value: str, correlate: bool = True, comment: str = "") -> None:
    """Every attribute Tasman writes is personal data: never an IDS indicator."""
    obj.add_attribute(relation, value=value, to_ids=False, disable_correlation=not correlate, comment=comment)


def _object(template: str) -> MISPObject:
    obj = MISPObject(template, standalone=False)
    obj.distribution = 5  # inherit the event's
    return obj


def _person(name: str, ref: str | None, ref_comment: str, note: str) -> MISPObject:
    person = _object("person")
    person.comment = note
    if name:
        _add(person, "full-name", name)
    else:
        _add(person, "full-name", UNNAMED, correlate=False)
    if ref:
        _add(person, "text", ref, correlate=False, comment=ref_comment)
    return person


def misp_event(es: ExportSet, distribution: int = 0) -> MISPEvent:
    ev = MISPEvent()
    ev.info = f"Tasman referral: case {es.case_ref}" + (f" ({', '.join(es.countries)})" if es.countries else "")
    ev.distribution = distribution
    ev.threat_level_id = 2
    ev.analysis = 1
    ev.add_tag(f"tlp:{es.tlp}")
    ev.add_tag("tasman:referral")
    for s in es.subjects:
        _add_subject(ev, es, s)
    for p in es.money_parties:
        _add_money_party(ev, es, p)
    return ev


def _add_subject(ev: MISPEvent, es: ExportSet, s: SubjectEntry) -> None:
    conf = f"{s.attribution.confidence:.2f}" if s.attribution.confidence is not None else "n/a"
    note = (f"Tasman subject {s.ref} of case {es.case_ref}: attributed to {s.attribution.country} "
            f"(confidence {conf}); suspect, not convicted.")
    person = _person(s.name, s.ref, SUBJECT_REF_COMMENT, note)
    linked, left_out = _identifiers(person, s.identifiers)
    if left_out:
        person.comment += " Not exported (no MISP relation): " + ", ".join(
            f"{n} {t}" for t, n in sorted(left_out.items())) + "."
    ev.add_object(person)
    for obj in linked:
        ev.add_object(obj)
        person.add_reference(obj.uuid, "associated-with")


def _identifiers(person: MISPObject, idents: list[IdentifierEntry]) -> tuple[list[MISPObject], Counter[str]]:
    linked: list[MISPObject] = []
    left_out: Counter[str] = Counter()
    for ident in idents:
        if ident.type in PERSON_RELATIONS:
            _add(person, PERSON_RELATIONS[ident.type], ident.value)
        elif (obj := _object_for(ident.type, ident.value)) is not None:
            linked.append(obj)
        else:
            left_out[ident.type] += 1
    return linked, left_out


def _object_for(typ: str, value: str) -> MISPObject | None:
    if typ == "iban":
        return _account(value)
    if typ in ("btc", "eth"):
        obj = _object("coin-address")
        _add(obj, "address" if typ == "btc" else "address-crypto", value)
        _add(obj, "symbol", typ.upper(), correlate=False)
    elif typ == "card":
        obj = _object("credit-card")
        _add(obj, "cc-number", value)
    else:
        return None
    return obj


def _account(number: str) -> MISPObject:
    obj = _object("bank-account")
    iban = clean_iban(number)
    _add(obj, "iban" if iban else "account", iban.value if iban else number)
    return obj


def _add_money_party(ev: MISPEvent, es: ExportSet, p: MoneyPartyEntry) -> None:
    reasons = "; ".join(f"{r.indicator} ({r.points:+g}): {r.why}" for r in p.reasons)
    note = (f"Money-trail {p.role} in {p.country}, #{p.rank}, score {p.score:g} from indicators (not proof): "
            f"{reasons}. Case {es.case_ref}; records {', '.join(p.records[:20])}.")
    person = _person(p.name, p.ref, PARTY_REF_COMMENT, note)
    for v in p.phones:
        _add(person, "phone-number", v)
    for v in p.emails:
        _add(person, "e-mail", v)
    ev.add_object(person)
    for number in p.accounts:
        acct = _account(number)
        ev.add_object(acct)
        person.add_reference(acct.uuid, "associated-with")
