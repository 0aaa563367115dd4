"""Money-trail benchmark: facilitator ranking quality and speed on a generated corpus.

    PYTHONPATH=src python bench/money.py [--beneficiaries 5000] [--seed 1] [--repeat 3] [--store]

Prints, against the generator's ground truth:
- recall@5%: the share of true facilitators ranked in the top 5% of beneficiaries (target 1.0);
- precision@k: the share of the top k beneficiaries (k = number of facilitators) that are facilitators;
- alert precision and recall: of the beneficiaries that alert, how many are facilitators, and how many
  facilitators alert;
- family remittances not alerted (target >= 0.95), and online sellers not alerted;
- the median time of the analysis beside a peer measured in the same run: ranking by the number
  of distinct senders (networkx in-degree on the same parties), with its own quality figures.
With ``--store``, also the stored path on SQLite (goAML import + ``analyse_case``), timed once.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import networkx as nx

from tasman.money.analysis import AnalysisResult, ChatSession, analyse_transfers
from tasman.money.config import MoneyConfig
from tasman.money.parties import resolve_parties
from tasman.money.transfers import Transfer, parse_timestamp, to_transfers
from tasman.synth.transfers import TransferCorpus, generate_transfers, write_goaml


def _timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _kind_of(corpus: TransferCorpus, phones: set[str]) -> str:
    return next((corpus.truth[p] for p in phones if p in corpus.truth), "?")


def _quality(ranked_kinds: list[str], alerted: list[bool] | None) -> dict[str, float]:
    n = len(ranked_kinds)
    fac = ranked_kinds.count("facilitator")
    top = max(1, n * 5 // 100)
    q = {"beneficiaries": n, "facilitators": fac, "top5pct": top,
         "recall_at_5pct": ranked_kinds[:top].count("facilitator") / fac if fac else 1.0,
         "precision_at_k": ranked_kinds[:fac].count("facilitator") / fac if fac else 1.0,
         "worst_facilitator_rank": max((i + 1 for i, k in enumerate(ranked_kinds) if k == "facilitator"), default=0)}
    if alerted is not None:
        flagged = [k for k, a in zip(ranked_kinds, alerted, strict=True) if a]
        fams = [a for k, a in zip(ranked_kinds, alerted, strict=True) if k == "family"]
        sellers = [a for k, a in zip(ranked_kinds, alerted, strict=True) if k == "seller"]
        q["alerts"] = len(flagged)
        q["alert_precision"] = flagged.count("facilitator") / len(flagged) if flagged else 1.0
        q["alert_recall"] = flagged.count("facilitator") / fac if fac else 1.0
        q["family_not_alerted"] = fams.count(False) / len(fams) if fams else 1.0
        q["sellers_not_alerted"] = sellers.count(False) / len(sellers) if sellers else 1.0
    return q


def peer_in_degree(transfers: list[Transfer]) -> list[tuple[str, frozenset[str]]]:
    """The plain approach: resolve parties, rank beneficiaries by how many distinct parties paid them."""
    parties = resolve_parties(transfers)
    g = nx.DiGraph()
    g.add_edges_from((t.sender_party, t.beneficiary_party) for t in transfers)
    benes = {t.beneficiary_party for t in transfers}
    ranked = sorted(benes, key=lambda b: (-g.in_degree(b), b))
    return [(b, frozenset(parties[b].phones)) for b in ranked]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--beneficiaries", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--store", action="store_true", help="also time the stored path on SQLite")
    args = ap.parse_args()
    cfg = MoneyConfig()

    t0 = time.perf_counter()
    corpus = generate_transfers(args.beneficiaries, seed=args.seed)
    gen_s = time.perf_counter() - t0
    print(f"corpus: {len(corpus.transfers)} transfers, {len(corpus.chats)} chat sessions, "
          f"{len(corpus.truth)} beneficiaries (generated in {gen_s:.1f} s, seed {args.seed})")

    def normalise() -> list[Transfer]:
        ts, _ = to_transfers(((f"bench#{r['record_id']}", None, r) for r in corpus.transfers), cfg)
        return ts

    norm_s, transfers = _timed(normalise, 1)
    assert isinstance(transfers, list)
    chats = [ChatSession(ref=c["record_id"], ts=parse_timestamp(c["timestamp"])[0],  # type: ignore[arg-type]
                         keys=frozenset({f"phone:{c['phone']}"})) for c in corpus.chats]

    # party resolution overwrites each transfer's party keys, so repeats can share the normalised list
    ours_s, result = _timed(lambda: analyse_transfers(transfers, cfg, chats=chats), args.repeat)
    assert isinstance(result, AnalysisResult)
    kinds = [_kind_of(corpus, b.profile.party.phones) for b in result.beneficiaries]
    ours = _quality(kinds, [b.alerted for b in result.beneficiaries])

    peer_s, peer = _timed(lambda: peer_in_degree(transfers), args.repeat)
    assert isinstance(peer, list)
    theirs = _quality([_kind_of(corpus, set(phones)) for _, phones in peer], None)

    print(f"normalising {len(transfers)} transfers (typed phones, countries, accounts): {norm_s:.2f} s")
    print(f"tasman money analysis: median {ours_s:.2f} s over {args.repeat} runs "
          f"({len(transfers) / max(ours_s, 1e-9):,.0f} transfers/s)")
    print(f"peer (rank by distinct senders, networkx in-degree): median {peer_s:.2f} s; "
          f"time ratio tasman/peer = {ours_s / max(peer_s, 1e-9):.1f}")
    print("quality                      tasman    peer")
    for key in ("recall_at_5pct", "precision_at_k", "worst_facilitator_rank"):
        print(f"  {key:<26} {ours[key]:>8.3f}  {theirs[key]:>6.3f}" if key != "worst_facilitator_rank" else
              f"  {key:<26} {ours[key]:>8.0f}  {theirs[key]:>6.0f}")
    for key in ("alerts", "alert_precision", "alert_recall", "family_not_alerted", "sellers_not_alerted"):
        print(f"  {key:<26} {ours[key]:>8.3f}" if key != "alerts" else f"  {key:<26} {ours[key]:>8.0f}")
    print(f"  (top 5% = {ours['top5pct']:.0f} of {ours['beneficiaries']:.0f} beneficiaries; "
          f"{ours['facilitators']:.0f} facilitators)")
    ok = ours["recall_at_5pct"] == 1.0 and ours["family_not_alerted"] >= 0.95
    print(f"targets (every facilitator in the top 5%, family remittances not alerted >= 0.95): "
          f"{'met' if ok else 'NOT MET'}")

    if args.store:
        from tasman.core.workspace import Workspace
        from tasman.evidence import create_case
        from tasman.money.importer import import_transactions
        from tasman.money.run import analyse_case

        with tempfile.TemporaryDirectory() as tmp:
            report = write_goaml(corpus.transfers, Path(tmp) / "bench.xml")
            ws = Workspace.init(Path(tmp) / "ws", actor="bench")
            with ws.session() as s:
                create_case(s, "bench", "B1")
            t0 = time.perf_counter()
            with ws.session() as s:
                import_transactions(s, "bench", "B1", report, "goaml")
            imp_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            with ws.session() as s:
                analyse_case(s, "bench", "B1", cfg, Path(tmp) / "out")
            ana_s = time.perf_counter() - t0
            ws.close()
        print(f"stored path on SQLite: goAML import {imp_s:.1f} s, analyse_case (load, analyse, store, files) "
              f"{ana_s:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
