"""A timeline of the senders behind the top beneficiaries: their transfers, their chat sessions
and the triage hits of the same subjects, in one order, each transfer with its distance to the
nearest chat session."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from tasman.core.timeutil import iso
from tasman.link.artifacts import subject_artifacts
from tasman.money.analysis import AnalysisResult
from tasman.money.document import TimelineEvent
from tasman.money.scoring import PartyScore
from tasman.triage.hits import hits_for


def triage_hits(session: Session, case_id: int, subject_refs: Iterable[str]) -> list[TimelineEvent]:
    """Triage hits (known material by hash) in artifacts that hold a strong identifier of one of
    these subjects, as timeline events: the artifact's path, list, category and match, never
    the media. The time is the file's own time when triage stored one, else the triage run's
    start (the summary says which): a run time tells when material was found, not when it was
    made, so it says nothing about closeness to a transfer."""
    by_subject = subject_artifacts(session, case_id, subject_refs)
    hits = hits_for(session, {aid for arts in by_subject.values() for aid in arts})
    events = []
    for ref, arts in sorted(by_subject.items()):
        for aid in sorted(arts):
            via = ", ".join(sorted(t for t, _ in arts[aid]))
            for h in hits.get(aid, []):
                category = h.category_name or (f"category {h.category}" if h.category is not None else "no category")
                when = "file time" if h.time_source == "file" else "time of the triage run"
                events.append(TimelineEvent(
                    ts=iso(h.time), kind="triage", who=ref, ref=h.path,
                    summary=f"hash-list hit: {category}, {h.match_type} match ({h.hash_name}) in list {h.hashset!r}; "
                            f"holds the subject's {via}; {when}"))
    return events


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
    events.sort(key=lambda e: (e.ts, e.kind, e.ref))
    # the limit is for transfers and chats; triage hits (few, and dated apart) are never cut by them
    hits = sorted(extra, key=lambda e: (e.ts, e.kind, e.ref, e.who))[:limit]
    return sorted(events[:limit] + hits, key=lambda e: (e.ts, e.kind, e.ref, e.who))
