"""What attribution reads about a subject: plain facts gathered from records and observations.

Gathering (``gather.py``) is the only part that touches storage; signals read facts and
never the database, so each signal can be tested on facts made by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# fact kinds
PHONE, EMAIL, IP, IBAN, ADDRESS, COUNTRY, CITY, GPS, TIMESTAMP, CURRENCY, PROBABLE_LINK = (
    "phone", "email", "ip", "iban", "address", "country", "city", "gps", "timestamp", "currency", "probable_link")


@dataclass(frozen=True)
class Fact:
    kind: str
    value: str                 # as found (signals clean it with tasman.extract.identifiers)
    source: str                # "orders.csv#17" (a record) or an artifact's !/ path
    origin: str = "record"     # record | chat (stated by the subject in a chat) | artifact
    hint: str | None = None    # a country the source gives beside the value (e.g. the record's country)
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass
class SubjectFacts:
    subject_id: int
    subject_ref: str
    facts: list[Fact] = field(default_factory=list)

    def add(self, fact: Fact) -> None:
        if fact not in self.facts:
            self.facts.append(fact)
