"""What the review queue holds and what its verdicts recover: for a folder kept by
``bench/link.py --keep``, the probable links by probability band with the share that is one person
(how well the model's probability says it), the recall the queue could give at most (every pair of
one person in it accepted), the recall of the best ``--decisions`` verdicts chosen with the truth
(best true gain first, the queue read again after each), and the queue as an analyst works it
(``tasman.link.review``, as ``bench/link.py`` simulates it): each verdict's probability, country
change and the record pairs it joined.

    PYTHONPATH=src python bench/reviewqueue.py /tmp/bench-folder [--corpus synth|alt|both] [--decisions 200]

A diagnosis tool for developers (it reads the truth), not part of Tasman. The workspace is left as
it was (the analyst's verdicts are rolled back).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import Any

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from missed import _truth
from tasman.core.models import Case, Record
from tasman.core.workspace import Workspace
from tasman.link import review
from tasman.link.models import LinkRun, ProbableLink, Subject, SubjectRecord

Key = tuple[int, str]  # (record id, role)


class Partition:
    """Subjects as sets of parties, merged as verdicts merge them, with the true pairs each holds."""

    def __init__(self, placed: dict[Key, str], person: dict[Key, str]) -> None:
        self.parent: dict[str, str] = {}
        self.members: dict[str, Counter[str]] = {}
        for k, ref in placed.items():
            self.members.setdefault(ref, Counter())[person[k]] += 1
        self.total = sum(n * (n - 1) // 2 for n in Counter(person.values()).values())
        self.found = sum(n * (n - 1) // 2 for c in self.members.values() for n in c.values())

    def find(self, x: str) -> str:
        while self.parent.get(x, x) != x:
            x = self.parent[x]
        return x

    def gain(self, a: str, b: str) -> int:
        ma, mb = self.members[self.find(a)], self.members[self.find(b)]
        return sum(n * mb[p] for p, n in ma.items())

    def merge(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        self.found += self.gain(ra, rb)
        self.parent[rb] = ra
        self.members[ra].update(self.members.pop(rb))

    @property
    def recall(self) -> float:
        return self.found / self.total if self.total else 1.0


def _band(p: float, low: float) -> str:
    edges = [low, *(e for e in (0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.99) if e > low)]
    for lo, hi in pairwise(edges):
        if p < hi:
            return f"{lo:.2f}-{hi:.2f}"
    return ">=0.99"


def study(folder: Path, decisions: int) -> None:
    truth = _truth(folder)
    ws = Workspace.open(folder / "ws")
    try:
        with ws.session() as s:
            key = {rid: (src, sid) for rid, src, sid in s.execute(select(Record.id, Record.source, Record.source_id))}
            placed: dict[Key, str] = {(rid, role): ref for rid, role, ref in s.execute(
                select(SubjectRecord.record_id, SubjectRecord.role, Subject.ref)
                .join(Subject, Subject.id == SubjectRecord.subject_id).where(Subject.status != "retired"))}
            run = s.scalars(select(LinkRun).order_by(LinkRun.id.desc()).limit(1)).one()
            low = float((run.settings.get("tasman") or {}).get("review_threshold", 0.2))
            links = [((ra, rla), (rb, rlb), float(p)) for ra, rla, rb, rlb, p in s.execute(
                select(ProbableLink.record_a, ProbableLink.role_a, ProbableLink.record_b, ProbableLink.role_b,
                       ProbableLink.probability).where(ProbableLink.run_id == run.id))]
            live = _work_the_queue(s, key, truth, placed, decisions)
            s.rollback()
    finally:
        ws.close()
    person = {k: truth[(*key[k[0]], k[1])] for k in placed}
    base = Partition(placed, person)
    print(f"== {folder.name}: {base.total} true pairs, recall {base.recall:.4f} before review; "
          f"{len(links)} probable links (review threshold {low})")
    bands: dict[str, list[int]] = {}
    for a, b, p in links:
        got = bands.setdefault(_band(p, low), [0, 0])
        got[0] += 1
        got[1] += person[a] == person[b]
    print("-- probable links by the model's probability: pairs, share one person")
    for band, (n, same) in sorted(bands.items()):
        print(f"  {band:<10} {n:6d}  {same / n:.2f}")
    ceiling = Partition(placed, person)
    for a, b, _p in links:
        if person[a] == person[b]:
            ceiling.merge(placed[a], placed[b])
    print(f"-- every pair of one person in the queue accepted (no limit on verdicts): recall {ceiling.recall:.4f}")
    best = Partition(placed, person)
    for _ in range(decisions):
        gains = [(best.gain(placed[a], placed[b]), placed[a], placed[b]) for a, b, _p in links
                 if person[a] == person[b] and best.find(placed[a]) != best.find(placed[b])]
        if not gains:
            break
        _g, x, y = max(gains)
        best.merge(x, y)
    print(f"-- the best {decisions} verdicts chosen with the truth (largest true gain first, no rejection): "
          f"recall {best.recall:.4f}")
    made = len(live)
    accepted = [d for d in live if d["same"]]
    rejected = [d for d in live if not d["same"]]
    after = base.found + sum(d["gain"] for d in accepted)
    print(f"-- the queue worked as an analyst works it: {made} verdicts, {len(accepted)} accepted, {len(rejected)} "
          f"rejected -> recall {after / base.total:.4f}")
    gains = sorted(d["gain"] for d in accepted)
    if gains:
        print(f"  record pairs joined per accepted verdict: median {gains[len(gains) // 2]}, max {gains[-1]}, "
              f"sum {sum(gains)}; by tens of verdicts: "
              + " ".join(str(sum(d["gain"] for d in live[i:i + 10] if d["same"])) for i in range(0, made, 10)))
    why: Counter[str] = Counter(f"{_band(d['p'], low)}{', country change' if d['country'] else ''}" for d in rejected)
    print(f"  rejected, by probability: {dict(sorted(why.items()))}")
    print("  the first 20: " + "; ".join(f"{d['p']:.2f} {d['a']}x{d['b']} {'+' + str(d['gain']) if d['same'] else 'no'}"
                                         f"{' (country)' if d['country'] else ''}" for d in live[:20]))


def _work_the_queue(s: Any, key: dict[int, tuple[str, str]], truth: dict[tuple[str, str, str], str],
                    placed: dict[Key, str], decisions: int) -> list[dict[str, Any]]:
    """``decisions`` verdicts as bench/link.py simulates them, each with the true pairs it joined."""
    case = s.scalar(select(Subject.case_id).limit(1))
    ref = s.scalar(select(Case.ref).where(Case.id == case))
    out = []
    for _ in range(decisions):
        shown = review.queue(s, "bench-review", ref, limit=1)
        if not shown:
            break
        pair = shown[0]
        who = {}
        for sref in (pair.subject_a, pair.subject_b):
            who[sref] = Counter(truth.get((*key[rid], role)) for rid, role in s.execute(
                select(SubjectRecord.record_id, SubjectRecord.role)
                .join(Subject, Subject.id == SubjectRecord.subject_id)
                .where(Subject.ref == sref, Subject.case_id == case)))
        a = truth.get((*key[pair.record_a], pair.role_a))
        b = truth.get((*key[pair.record_b], pair.role_b))
        same = a is not None and a == b
        gain = sum(n * who[pair.subject_b][p] for p, n in who[pair.subject_a].items() if p is not None)
        review.decide(s, "bench-review", ref, pair.ref, "accept" if same else "reject")
        out.append({"p": pair.probability, "same": same, "gain": gain if same else 0,
                    "country": pair.changes_country, "a": pair.records_a, "b": pair.records_b})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--corpus", choices=["synth", "alt", "both"], default="both")
    ap.add_argument("--decisions", type=int, default=200)
    args = ap.parse_args()
    for name in (["synth", "alt"] if args.corpus == "both" else [args.corpus]):
        study(args.folder / name, args.decisions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
