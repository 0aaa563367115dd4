"""The links that join strangers, and why: for a folder kept by ``bench/link.py --keep``, every
stored link (the spanning forest a run keeps per subject) whose two parties are different truth
persons, counted by rule, by the comparison levels that carried it and by probability band, with
the false pairs each mixed subject adds (what costs precision) and a few examples side by side.

    PYTHONPATH=src python bench/falselinks.py /tmp/bench-folder [--corpus synth|alt] [--show 10]

A diagnosis tool for developers (it reads the truth), not part of Tasman.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus2 import read_key
from tasman.core.models import Record
from tasman.core.workspace import Workspace
from tasman.link.models import LinkRun, RecordLink, Subject, SubjectRecord
from tasman.synth.corpus import read_truth

Party = tuple[str, str, str]


def _truth(folder: Path) -> dict[Party, str]:
    corpus = folder / "corpus"
    if (corpus / "truth.csv").exists():
        return read_truth(corpus / "truth.csv")
    return read_key(corpus / "answer_key.csv")[0]


def signature(expl: dict[str, Any], top: int = 3) -> str:
    """The fields that carried a link, strongest first: ``field=level`` for its ``top`` largest weights."""
    fields = expl.get("fields") or {}
    pos = sorted(((f["weight"], name, f["level"]) for name, f in fields.items() if f["weight"] > 0), reverse=True)
    return "; ".join(f"{name}={level}" for _, name, level in pos[:top]) or "(nothing agreed)"


def band(p: float) -> str:
    for lo in (0.999999, 0.99999, 0.9999, 0.999, 0.995):
        if p >= lo:
            return f">={lo}"
    return "<0.995"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--corpus", default="synth")
    ap.add_argument("--show", type=int, default=10, help="examples to print side by side")
    ap.add_argument("--top", type=int, default=25, help="signatures to print")
    args = ap.parse_args()
    folder = args.folder / args.corpus
    truth = _truth(folder)
    ws = Workspace.open(folder / "ws")
    with ws.session() as s:
        run_id = s.scalars(select(LinkRun.id).order_by(LinkRun.id.desc()).limit(1)).one()
        recs = {rid: (src, sid) for rid, src, sid in s.execute(select(Record.id, Record.source, Record.source_id))}
        placed: dict[Party, str] = {(*recs[rid], role): ref for ref, rid, role in s.execute(
            select(Subject.ref, SubjectRecord.record_id, SubjectRecord.role)
            .join(SubjectRecord, SubjectRecord.subject_id == Subject.id).where(Subject.status != "retired"))}
        links = s.execute(select(RecordLink.record_a, RecordLink.role_a, RecordLink.record_b, RecordLink.role_b,
                                 RecordLink.rule, RecordLink.probability, RecordLink.explanation)
                          .where(RecordLink.run_id == run_id)).all()
        fields_of = {}
        false = []
        for ra, rla, rb, rlb, rule, p, expl in links:
            a, b = (*recs[ra], rla), (*recs[rb], rlb)
            if truth.get(a) is not None and truth.get(b) is not None and truth[a] != truth[b]:
                false.append((a, b, rule, p, expl, ra, rb))
        want = {r for f in false[: args.show] for r in (f[5], f[6])}
        if want:
            fields_of = dict(s.execute(select(Record.id, Record.fields).where(Record.id.in_(want))).all())
    ws.close()
    # false pairs per mixed subject: all pairs minus the pairs of one person
    members: dict[str, Counter[str]] = defaultdict(Counter)
    for party, ref in placed.items():
        if party in truth:
            members[ref][truth[party]] += 1
    false_pairs = {ref: (sum(c.values()) * (sum(c.values()) - 1) - sum(n * (n - 1) for n in c.values())) // 2
                   for ref, c in members.items() if len(c) > 1}
    print(f"{len(links)} links, {len(false)} between different persons; {len(false_pairs)} mixed subjects, "
          f"{sum(false_pairs.values())} false pairs (largest: "
          f"{sorted(false_pairs.values(), reverse=True)[:8]})")
    by_rule = Counter(f[2] for f in false)
    print("false links by rule:", dict(by_rule.most_common()))
    prob = [f for f in false if f[2] == "probabilistic"]
    print("probabilistic false links by probability:", dict(Counter(band(f[3]) for f in prob).most_common()))
    all_prob = Counter(signature(e) for *_, r, p, e in ((None, None, x[4], x[5], x[6]) for x in links)
                       if r == "probabilistic")
    sig = Counter(signature(f[4]) for f in prob)
    print(f"\nfalse probabilistic links by the fields that carried them (of {len(prob)}; share of all links "
          "with the same signature that are false):")
    for k, n in sig.most_common(args.top):
        print(f"  {n:6d}  ({n / all_prob[k]:.3f} of {all_prob[k]})  {k}")
    sig1 = Counter(signature(f[4], 1) for f in prob)
    print("\nby the strongest field alone:")
    for k, n in sig1.most_common(args.top):
        print(f"  {n:6d}  {k}")
    det = Counter(json.dumps(f[4], sort_keys=True)[:120] for f in false if f[2] != "probabilistic")
    if det:
        print("\ndeterministic false links:")
        for k, n in det.most_common(10):
            print(f"  {n:6d}  {k}")
    for a, b, rule, p, expl, ra, rb in false[: args.show]:
        print(f"\n--- {rule} p={p:.6f}: {a} ({truth[a]}) ~ {b} ({truth[b]})")
        print("   ", json.dumps({k: v for k, v in (fields_of.get(ra) or {}).items() if v}, default=str)[:400])
        print("   ", json.dumps({k: v for k, v in (fields_of.get(rb) or {}).items() if v}, default=str)[:400])
        print("   ", json.dumps(expl.get("fields"), default=str)[:600])
    return 0


if __name__ == "__main__":
    sys.exit(main())
