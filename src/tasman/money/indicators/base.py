"""The extension point for indicators: one small class per indicator, with a stable name.

An indicator looks at one party in one role (the transfers it received as a beneficiary, or
sent as a sender) and either does not fire or returns a :class:`Hit` with a strength in
[0, 1] and a sentence saying why. Its weight lives in the settings, so scoring can be tuned
without touching code; a negative weight makes it mitigating.
"""

from __future__ import annotations

import bisect
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import ClassVar
from zoneinfo import ZoneInfo

from tasman.extract.identifiers import fold
from tasman.money.config import MoneyConfig
from tasman.money.parties import Party
from tasman.money.transfers import Transfer

BENEFICIARY, SENDER = "beneficiary", "sender"


@dataclass(frozen=True)
class Hit:
    indicator: str
    strength: float
    why: str
    refs: tuple[str, ...] = ()   # the transfers it rests on (a sample, for the analyst)


@dataclass
class Profile:
    """One party in one role, with the transfers of that role."""

    party: Party
    role: str
    transfers: list[Transfer]

    def counterparty(self, t: Transfer) -> str:
        return t.sender_party if self.role == BENEFICIARY else t.beneficiary_party


@dataclass
class Context:
    """What indicators may consult beyond the profile: settings, other parties, chats, earlier passes."""

    cfg: MoneyConfig
    parties: dict[str, Party]
    zones: dict[str, ZoneInfo | None]
    chat_times: dict[str, list[datetime]]                  # sender party key -> sorted chat starts
    purchasers: set[str] = field(default_factory=set)      # sender parties that bought capture/travel
    alerted_beneficiaries: set[str] = field(default_factory=set)

    def nearest_chat(self, party_key: str, ts: datetime) -> timedelta | None:
        times = self.chat_times.get(party_key)
        if not times:
            return None
        i = bisect.bisect_left(times, ts)
        gaps = [abs(times[j] - ts) for j in (i - 1, i) if 0 <= j < len(times)]
        return min(gaps) if gaps else None


class Indicator(ABC):
    name: ClassVar[str]
    roles: ClassVar[tuple[str, ...]]
    description: ClassVar[str]       # one line for the docs and the report

    @abstractmethod
    def evaluate(self, p: Profile, ctx: Context) -> Hit | None:
        """A hit, or None when the indicator does not fire for this party."""


def sample(transfers: Sequence[Transfer], n: int = 10) -> tuple[str, ...]:
    return tuple(t.ref for t in transfers[:n])


@cache
def word_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = sorted((re.escape(fold(w)) for w in words if fold(w)), key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(alternatives) + r")\b") if alternatives else re.compile(r"(?!x)x")


def family_name(party: Party) -> str:
    """The last token of the folded name: senders sharing it may be one family, not unrelated."""
    tokens = fold(party.name).split()
    return tokens[-1] if tokens else f"?{party.key}"


def countries_text(codes: Sequence[str | None], limit: int = 6) -> str:
    seen = sorted({c for c in codes if c})
    more = f" and {len(seen) - limit} more" if len(seen) > limit else ""
    return ", ".join(seen[:limit]) + more if seen else "unknown countries"
