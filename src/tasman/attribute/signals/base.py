"""The extension point of attribution: one :class:`Signal` per kind of evidence.

A signal reads facts (never storage) and answers, for each fact it understands, votes for
countries with a strength in [0, 1] and a reason, or a note saying why the fact counts for
nothing (a private IP, a Tor exit, a generic ccTLD). Adding a signal means adding one module
and listing it in ``signals/__init__.py``; its name is stable (it is stored with results and
used as the key in the weights file).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from tasman.attribute.facts import Fact
from tasman.attribute.iplocate import AddressList, Geoip2FastLocator, IpLocator, MmdbLocator
from tasman.attribute.places import CasePlaces
from tasman.attribute.weights import SignalWeight


@dataclass
class Env:
    """What signals may consult besides the fact: the IP database and anonymiser lists, and what
    the whole case says (towns its addresses place, sources that price everything in one currency)."""

    mmdb: Path | None = None
    anonymisers: list[AddressList] = field(default_factory=list)
    case_places: CasePlaces | None = None
    uniform_currency: dict[str, str] = field(default_factory=dict)  # source file -> its one currency
    _locator: IpLocator | None = field(default=None, repr=False)

    def locator(self) -> IpLocator:
        if self._locator is None:
            self._locator = MmdbLocator(self.mmdb) if self.mmdb else Geoip2FastLocator()
        return self._locator


@dataclass(frozen=True)
class Vote:
    signal: str
    country: str
    strength: float            # the weight's multiplier for this piece: 1.0 full, less when weaker
    value: str
    source: str
    detail: str


@dataclass(frozen=True)
class Ignored:
    signal: str
    value: str
    source: str
    why: str


Finding = Vote | Ignored


class Signal(ABC):
    name: ClassVar[str]
    kinds: ClassVar[tuple[str, ...]]   # fact kinds read
    description: ClassVar[str]

    def __init__(self, weight: SignalWeight, env: Env) -> None:
        self.weight = weight
        self.env = env

    def vote(self, country: str, fact: Fact, detail: str, strength: float = 1.0, value: str | None = None) -> Vote:
        return Vote(self.name, country, strength, value or fact.value, fact.source, detail)

    def ignore(self, fact: Fact, why: str, value: str | None = None) -> Ignored:
        return Ignored(self.name, value or fact.value, fact.source, why)

    @abstractmethod
    def assess(self, fact: Fact) -> Iterable[Finding]:
        """Votes and notes for one fact of one of :attr:`kinds`."""
