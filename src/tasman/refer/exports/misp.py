"""MISP event JSON: one event, a ``person`` object per subject with ``email``, ``phone-number``,
``bank-account`` and ``user-account`` objects referenced from it, TLP and distribution set."""

from __future__ import annotations

from pymisp import MISPEvent, MISPObject

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
    return ev


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
