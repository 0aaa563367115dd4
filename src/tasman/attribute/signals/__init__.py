"""The signals attribution knows, by stable name (the keys of the weights file)."""

from __future__ import annotations

from tasman.attribute.signals.address import AddressSignal
from tasman.attribute.signals.base import Env, Finding, Ignored, Signal, Vote
from tasman.attribute.signals.currency import CurrencySignal
from tasman.attribute.signals.email_domain import EmailDomainSignal
from tasman.attribute.signals.gps import GpsSignal
from tasman.attribute.signals.iban import IbanSignal
from tasman.attribute.signals.ip import IpSignal
from tasman.attribute.signals.phone import PhoneSignal
from tasman.attribute.signals.probable_link import ProbableLinkSignal
from tasman.attribute.signals.stated_place import StatedPlaceSignal
from tasman.attribute.signals.timezone import TimezoneSignal

SIGNALS: dict[str, type[Signal]] = {
    cls.name: cls
    for cls in (AddressSignal, PhoneSignal, IbanSignal, IpSignal, EmailDomainSignal, StatedPlaceSignal,
                GpsSignal, TimezoneSignal, CurrencySignal, ProbableLinkSignal)
}

__all__ = ["SIGNALS", "Env", "Finding", "Ignored", "Signal", "Vote"]
