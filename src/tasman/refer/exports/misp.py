"""MISP event JSON: one event, a ``person`` object per subject with ``email``, ``phone-number``,
``bank-account`` and ``user-account`` objects referenced from it, TLP and distribution set.
Money-trail parties are ``person`` objects too, their role, score and indicators in ``text``,
with their phones, e-mails and accounts."""

from __future__ import annotations

from pymisp import MISPEvent, MISPObject

from tasman.extract.identifiers import clean_iban
from tasman.refer.document import MoneyPartyEntry
from tasman.refer.exports import ExportSet

DISTRIBUTIONS = {0: "your organisation only", 1: "this community only", 2: "connected communities",
                 3: "all communities", 4: "sharing group"}


def misp_event(es: ExportSet, distribution: int = 0) -> MISPEvent:
    ev = MISPEvent()
    ev.info = f"Tasman referral: case {es.case_ref}" + (f" ({', '.join(es.countries)})" if es.countries else "")
    ev.distribution = distribution
    ev.threat_level_id = 2
    ev.analysis = 1
    ev.add_tag(f"tlp:{es.tlp}")
    ev.add_tag("tasman:referral")
    for s in es.subjects:
        person = MISPObject("person", standalone=False)
        person.distribution = 5  # inherit the event's
        person.add_attribute("full-name", value=s.name or s.ref)
        person.add_attribute("alias", value=s.ref)
        conf = f"{s.attribution.confidence:.2f}" if s.attribution.confidence is not None else "n/a"
        person.add_attribute("text", value=f"Attributed to {s.attribution.country} (confidence {conf}); "
                                           f"suspect, not convicted. Case {es.case_ref}.")
        ev.add_object(person)
        for ident in s.identifiers:
            obj = _object_for(ident.type, ident.value, ident.country)
            if obj is None:
                continue
            ev.add_object(obj)
            person.add_reference(obj.uuid, "associated-with")
    for p in es.money_parties:
        _add_money_party(ev, es, p)
    return ev


def _add_money_party(ev: MISPEvent, es: ExportSet, p: MoneyPartyEntry) -> None:
    person = MISPObject("person", standalone=False)
    person.distribution = 5
    person.add_attribute("full-name", value=p.name or p.key)
    reasons = "; ".join(f"{r.indicator} ({r.points:+g}): {r.why}" for r in p.reasons)
    person.add_attribute("text", value=f"Money-trail {p.role} in {p.country}, #{p.rank}, score {p.score:g} from "
                                       f"indicators (not proof): {reasons}. Case {es.case_ref}; records "
                                       f"{', '.join(p.records[:20])}.")
    ev.add_object(person)
    objs = [_object_for("phone", v, p.country) for v in p.phones] + [_object_for("email", v, None) for v in p.emails]
    for number in p.accounts:
        acct = MISPObject("bank-account", standalone=False)
        iban = clean_iban(number)
        acct.add_attribute("iban" if iban else "account", value=iban.value if iban else number)
        acct.distribution = 5
        objs.append(acct)
    for obj in objs:
        if obj is not None:
            ev.add_object(obj)
            person.add_reference(obj.uuid, "associated-with")


def _object_for(typ: str, value: str, country: str | None) -> MISPObject | None:
    if typ == "email":
        obj = MISPObject("email", standalone=False)
        obj.add_attribute("from", value=value)
    elif typ == "phone":
        obj = MISPObject("phone-number", standalone=False)
        obj.add_attribute("phone-number", value=value)
        if country:
            obj.add_attribute("country-code", value=country)
    elif typ == "iban":
        obj = MISPObject("bank-account", standalone=False)
        obj.add_attribute("iban", value=value)
    elif typ == "handle":
        obj = MISPObject("user-account", standalone=False)
        platform, _, name = value.partition(":")
        obj.add_attribute("username", value=name)
        obj.add_attribute("account-type", value=platform)
    else:
        return None
    obj.distribution = 5
    return obj
