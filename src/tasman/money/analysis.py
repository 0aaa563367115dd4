"""The analysis proper, on transfers in memory: parties, graph, indicators in three passes, ranks.

Storage stays outside (``tasman.money.run`` loads records and saves results), so the benchmark
and the tests run the very same code on generated data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import networkx as nx

from tasman.money.config import MoneyConfig
from tasman.money.indicators import ALL, BENEFICIARY, SENDER, Context, Indicator, Profile
from tasman.money.indicators.capture_or_travel import CaptureOrTravelPurchases
from tasman.money.indicators.pays_alerted_beneficiary import PaysAlertedBeneficiary
from tasman.money.parties import Party, resolve_parties
from tasman.money.scoring import PartyScore, evaluate, rank_beneficiaries, rank_senders, settle
from tasman.money.timezones import party_zone
from tasman.money.transfers import Transfer

NEVER = datetime.max.replace(tzinfo=UTC)  # undated transfers sort last


@dataclass(frozen=True)
class ChatSession:
    """A chat record with a time: whose it is, by subject or by shared phone/email."""

    ref: str
    ts: datetime
    keys: frozenset[str] = frozenset()
    subjects: frozenset[str] = frozenset()


@dataclass
class AnalysisResult:
    cfg: MoneyConfig
    transfers: list[Transfer]
    parties: dict[str, Party]
    beneficiaries: list[PartyScore]
    senders: list[PartyScore]
    graph: nx.DiGraph
    chats: dict[str, list[ChatSession]] = field(default_factory=dict)  # sender party -> its sessions
    warnings: list[str] = field(default_factory=list)

    def stats(self) -> dict[str, int]:
        return {"transfers": len(self.transfers), "parties": len(self.parties),
                "beneficiaries": len(self.beneficiaries), "senders": len(self.senders),
                "alerted_beneficiaries": sum(b.alerted for b in self.beneficiaries),
                "alerted_senders": sum(s.alerted for s in self.senders),
                "chat_sessions": len({c.ref for cs in self.chats.values() for c in cs}), "warnings": len(self.warnings)}


def build_graph(transfers: Iterable[Transfer], parties: Mapping[str, Party]) -> nx.DiGraph:
    """Parties paying parties (edge: count, total in USD), and parties using phones and accounts."""
    g = nx.DiGraph()
    for key, p in parties.items():
        g.add_node(key, kind="party", name=p.name, country=p.country or "", subjects=",".join(sorted(p.subjects)))
        for ident in sorted(p.strong_keys()):
            g.add_node(ident, kind=ident.split(":", 1)[0])
            g.add_edge(key, ident, kind="uses")
    for t in transfers:
        a, b = t.sender_party, t.beneficiary_party
        if g.has_edge(a, b):
            g[a][b]["count"] += 1
            g[a][b]["total_usd"] += t.amount_usd or 0.0
        else:
            g.add_edge(a, b, kind="paid", count=1, total_usd=t.amount_usd or 0.0)
    return g


def chats_by_party(chats: Iterable[ChatSession], parties: Mapping[str, Party]) -> dict[str, list[ChatSession]]:
    """Each sender's chat sessions: by a shared phone/email, or by the same subject."""
    by_key: dict[str, set[str]] = defaultdict(set)
    by_subject: dict[str, set[str]] = defaultdict(set)
    for key, p in parties.items():
        for k in p.strong_keys():
            by_key[k].add(key)
        for s in p.subjects:
            by_subject[s].add(key)
    found: dict[str, list[ChatSession]] = defaultdict(list)
    for c in chats:
        owners = set().union(*(by_key.get(k, set()) for k in c.keys), *(by_subject.get(s, set()) for s in c.subjects))
        for o in owners:
            found[o].append(c)
    return {k: sorted(v, key=lambda c: (c.ts, c.ref)) for k, v in found.items()}


def analyse_transfers(
    transfers: list[Transfer],
    cfg: MoneyConfig,
    *,
    chats: Iterable[ChatSession] = (),
    subject_keys: Mapping[str, set[str]] | None = None,
    sender_subjects: Mapping[int, str] | None = None,
    warnings: Iterable[str] = (),
    indicators: Iterable[Indicator] = ALL,
) -> AnalysisResult:
    """``subject_keys``: strong identifier -> subject refs; ``sender_subjects``: record id of a transfer
    -> the subject that record was linked to (its sender)."""
    parties = resolve_parties(transfers)
    for p in parties.values():
        for k in p.strong_keys():
            p.subjects |= (subject_keys or {}).get(k, set())
    for t in transfers:
        if t.record_id is not None and sender_subjects and t.record_id in sender_subjects:
            parties[t.sender_party].subjects.add(sender_subjects[t.record_id])
    party_chats = chats_by_party(chats, parties)
    incoming: dict[str, list[Transfer]] = defaultdict(list)
    outgoing: dict[str, list[Transfer]] = defaultdict(list)
    for t in sorted(transfers, key=lambda t: (t.ts or NEVER, t.ref)):
        incoming[t.beneficiary_party].append(t)
        outgoing[t.sender_party].append(t)
    ctx = Context(cfg=cfg, parties=parties, zones={k: party_zone(parties[k], cfg) for k in outgoing},
                  chat_times={k: [c.ts for c in v] for k, v in party_chats.items()})
    inds = list(indicators)
    late = [i for i in inds if isinstance(i, PaysAlertedBeneficiary)]
    early = [i for i in inds if not isinstance(i, PaysAlertedBeneficiary)]
    # pass 1: senders (who bought capture software or travel)
    senders = [PartyScore(Profile(parties[k], SENDER, ts)) for k, ts in outgoing.items()]
    for ps in senders:
        ps.hits = evaluate(ps.profile, ctx, early)
        if any(s.hit.indicator == CaptureOrTravelPurchases.name for s in ps.hits):
            ctx.purchasers.add(ps.key)
    # pass 2: beneficiaries
    benes = [PartyScore(Profile(parties[k], BENEFICIARY, ts)) for k, ts in incoming.items()]
    for ps in benes:
        ps.hits = evaluate(ps.profile, ctx, early)
        settle(ps, cfg)
    ctx.alerted_beneficiaries = {ps.key for ps in benes if ps.alerted}
    # pass 3: senders again, now knowing which beneficiaries alerted
    for ps in senders:
        ps.hits += evaluate(ps.profile, ctx, late)
        settle(ps, cfg)
    return AnalysisResult(cfg=cfg, transfers=transfers, parties=parties, beneficiaries=rank_beneficiaries(benes, ctx),
                          senders=rank_senders(senders), graph=build_graph(transfers, parties), chats=party_chats,
                          warnings=list(warnings))
