"""A timeline of the senders behind the top beneficiaries: their transfers, their chat sessions
and the triage hits of the same subjects, in one order, each transfer with its distance to the
nearest chat session."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from tasman.core.timeutil import iso
from tasman.money.analysis import AnalysisResult
from tasman.money.document import TimelineEvent
from tasman.money.scoring import PartyScore


def triage_hits(session: Session, case_ref: str, subject_refs: Iterable[str]) -> list[TimelineEvent]:
    """Triage matches (known material by hash) tied to these subjects, as timeline events.

    The one place the money stage reads triage results. Triage matches are not stored on this
    branch yet, so there is nothing to read; when they land, this function maps each match of
    a subject's evidence to ``TimelineEvent(kind="triage", ref=<evidence path>, summary=<category>)``
    (never the media itself)."""
    return []


def build_timeline(result: AnalysisResult, focus: list[PartyScore], extra: Iterable[TimelineEvent] = (),
                   limit: int = 500) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for bene in focus:
        for t in bene.profile.transfers:
            if t.ts is None:
                continue
            sender = result.parties[t.sender_party]
            who = ",".join(sorted(sender.subjects)) or sender.name or sender.key
            gap = None
            chats = result.chats.get(t.sender_party, [])
            if chats and t.has_time:
                gap = int(min(abs((c.ts - t.ts).total_seconds()) for c in chats) // 60)
            amount = f"{t.amount:g} {t.currency or ''}".strip()
            events.append(TimelineEvent(ts=iso(t.ts), kind="transfer", who=who, ref=t.ref, minutes_to_chat=gap,
                                        summary=f"{amount} to {bene.profile.party.name or bene.key} "
                                                f"({bene.profile.party.country or '?'}) {t.reference!r}"))
    senders = {t.sender_party for b in focus for t in b.profile.transfers}
    for key in sorted(senders):
        party = result.parties[key]
        who = ",".join(sorted(party.subjects)) or party.name or key
        events.extend(TimelineEvent(ts=iso(c.ts), kind="chat", who=who, ref=c.ref, summary="chat session")
                      for c in result.chats.get(key, []))
    events.extend(extra)
    events.sort(key=lambda e: (e.ts, e.kind, e.ref))
    return events[:limit]
