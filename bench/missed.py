"""The true pairs a link run missed, and why: for a folder kept by ``bench/link.py --keep``, the
pairs of parties of one truth person left in different subjects, counted by the pair of record
kinds, by what the two sides share, by whether any blocking rule brought them together and by the
probability the run's own model gives them (scored again with the stored model, down to 0.001).

    PYTHONPATH=src python bench/missed.py /tmp/bench-folder [--corpus synth|alt|both] [--show 20]

A diagnosis tool for developers (it reads the truth), not part of Tasman.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from itertools import combinations
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus2 import read_key
from tasman.core.models import Record
from tasman.core.workspace import Workspace
from tasman.link.backends import open_backend
from tasman.link.blockkeys import COLUMN as BLOCK_KEYS
from tasman.link.blockkeys import mate_sql
from tasman.link.keys import uid
from tasman.link.models import LinkRun, Subject, SubjectRecord
from tasman.link.normalise import normalise_rows
from tasman.link.resolve import resolve
from tasman.link.settings import LinkSettings
from tasman.synth.corpus import read_truth


def _truth(folder: Path) -> dict[tuple[str, str, str], str]:
    corpus = folder / "corpus"
    if (corpus / "truth.csv").exists():
        return read_truth(corpus / "truth.csv")
    return read_key(corpus / "answer_key.csv")[0]


def _shares(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    out = []
    ta, tb = set(a["name_tokens"] or []), set(b["name_tokens"] or [])
    if ta and tb:
        out.append("same name" if a["name_key"] == b["name_key"] else
                   "name token shared" if ta & tb else "other names")
    elif ta or tb:
        named, other = (a, b) if ta else (b, a)
        al = set(other["alias_last"] or []) | set(other["alias_full"] or [])
        keys = {t[:4] for t in named["name_tokens"]}
        out.append("alias holds name" if any(k.split("+")[0] in keys for k in al) else
                   "one side unnamed, alias differs" if al else "one side unnamed, no alias")
    else:
        out.append("both unnamed")
    for col in ("emails", "phones", "handle_names", "payrefs"):
        xa, xb = a[col] or [], b[col] or []
        if xa and xb:
            out.append(f"{col} {'shared' if set(xa) & set(xb) else 'differ'}")
        elif xa or xb:
            out.append(f"{col} one side")
    ca, cb = a["country"], b["country"]
    out.append("same country" if ca and ca == cb else "other country" if ca and cb else "country unknown")
    if a["dob"] and b["dob"]:
        out.append("same dob" if a["dob"] == b["dob"] else "dob differs")
    return out


def _alias_text(r: dict[str, Any]) -> str:
    """A party's screen names and email local parts, letters only, as one string."""
    parts = [*(r["handle_names"] or []), *(e.rpartition("@")[0] for e in r["emails"] or [])]
    return " ".join("".join(c for c in p.lower() if c.isalpha()) for p in parts)


def evidence(a: dict[str, Any], b: dict[str, Any], loose: bool = False) -> str | None:
    """What an investigator with the two records side by side could link them on, or None:
    a shared identifier or screen name, the same name or a shared name part, a last name (its
    first four letters) inside the other's screen name or email; ``loose`` also counts a first
    name of four or more letters there (``lasanne_l99``, ``milospepper0``)."""
    for col in ("emails", "phones", "payrefs", "handle_names"):
        if set(a[col] or []) & set(b[col] or []):
            return f"{col} shared"
    ta, tb = set(a["name_tokens"] or []), set(b["name_tokens"] or [])
    if ta and tb:
        if a["name_key"] == b["name_key"]:
            return "same name"
        return "name part shared" if ta & tb else None
    for named, other in ((a, b), (b, a)):
        if not named["name_tokens"]:
            continue
        text = _alias_text(other)
        last, first = named["last_name"] or "", named["first_name"] or ""
        if (len(last) >= 4 and last[:4] in text) or any(len(t) >= 4 and t[:4] in text
                                                         for t in named["name_tokens"] if t != first):
            return "last name in screen name or email"
        if loose and len(first) >= 4 and first in text:
            return "first name in screen name or email"
    return None


def _find(parent: dict[int, int], x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def ceiling(rows: dict[int, dict[str, Any]], by_person: dict[str, list[int]]) -> None:
    """The recall an investigator could reach at best: per person, the parties joined by a chain of
    pairs that each carry some evidence (:func:`evidence`); a party with none to any other of its
    person's parties cannot be linked from the records."""
    total = sum(len(us) * (len(us) - 1) // 2 for us in by_person.values())
    for loose in (False, True):
        reach = 0
        alone: Counter[str] = Counter()
        for us in by_person.values():
            parent = {u: u for u in us}
            for a, b in combinations(us, 2):
                if _find(parent, a) != _find(parent, b) and evidence(rows[a], rows[b], loose):
                    parent[_find(parent, a)] = _find(parent, b)
            sizes = Counter(_find(parent, u) for u in us)
            reach += sum(n * (n - 1) // 2 for n in sizes.values())
            if len(us) > 1:
                alone.update(rows[u]["kind"] for u in us if sizes[_find(parent, u)] == 1)
        print(f"-- ceiling ({'a first name in a screen name counts too' if loose else 'strict'}): "
              f"{reach} of {total} true pairs reachable by a chain of evidence (recall at most {reach / total:.4f}); "
              f"parties sharing nothing with any other record of their person: {sum(alone.values())} "
              f"{dict(alone.most_common())}")
        if not loose:
            outside_evidence(rows, by_person)


def _weak(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """What two parties share that :func:`evidence` does not count: the facts Tasman compares as
    support (date of birth, place, street, postcode, an email provider's country), a first name in
    the other's screen name or email, and near misses on identifiers (the same email local part at
    another provider, a phone's last seven digits, screen names one inside the other)."""
    out = []
    for col in ("dob", "city", "postcode", "street"):
        if a[col] and a[col] == b[col]:
            out.append(f"same {col}")
    if a["country"] and a["country"] == b["country"]:
        out.append("same country")
    for x, y in ((a, b), (b, a)):
        if x["country"] and x["country"] in (y["email_countries"] or []):
            out.append("email provider's country = other's country")
            break
    for named, other in ((a, b), (b, a)):
        first = named["first_name"] or ""
        if len(first) >= 3 and first[:4] in _alias_text(other):
            out.append("first name in screen name or email")
            break
    la = {e.rpartition("@")[0] for e in a["emails"] or []}
    lb = {e.rpartition("@")[0] for e in b["emails"] or []}
    if la & lb:
        out.append("email local part shared (other provider)")
    ha = set(a["handle_names"] or []) | la
    hb = set(b["handle_names"] or []) | lb
    if any(len(x) >= 5 and len(y) >= 5 and (x in y or y in x) for x in ha for y in hb):
        out.append("one screen name or email local part inside the other")
    pa_ = {p[-7:] for p in a["phones"] or []}
    if pa_ & {p[-7:] for p in b["phones"] or []}:
        out.append("phone's last 7 digits shared")
    return out


def outside_evidence(rows: dict[int, dict[str, Any]], by_person: dict[str, list[int]]) -> None:
    """The parties the strict ceiling leaves alone: what they share with their person's other
    records that :func:`evidence` does not count (the best-supported other record of theirs)."""
    facts: Counter[str] = Counter()
    combos: Counter[str] = Counter()
    n = 0
    for us in by_person.values():
        for u in us:
            others = [v for v in us if v != u]
            if not others or any(evidence(rows[u], rows[v]) for v in others):
                continue
            n += 1
            best = max((_weak(rows[u], rows[v]) for v in others), key=len)
            facts.update(set().union(*(_weak(rows[u], rows[v]) for v in others)))
            combos[" + ".join(sorted(best)) or "nothing at all"] += 1
    print(f"-- the {n} parties with no evidence to any record of their person (strict): what they share with them "
          "that the ceiling does not count (a fact shared with any of them; then the best record's facts together)")
    for k, c in facts.most_common():
        print(f"  {c:6d}  {k}")
    for k, c in combos.most_common(12):
        print(f"  {c:6d}  best: {k}")


def analyse(folder: Path, show: int) -> None:
    truth = _truth(folder)
    ws = Workspace.open(folder / "ws")
    with ws.session() as s:
        recs = s.execute(select(Record.id, Record.kind, Record.source, Record.source_id, Record.fields)).all()
        placed = {(rid, role): ref for rid, role, ref in s.execute(
            select(SubjectRecord.record_id, SubjectRecord.role, Subject.ref)
            .join(Subject, Subject.id == SubjectRecord.subject_id).where(Subject.status != "retired"))}
        run = s.execute(select(LinkRun).order_by(LinkRun.id.desc())).scalars().first()
        model = run.settings["splink"] if run else None
        tasman = (run.settings.get("tasman") or {}) if run else {}
        low, high = tasman.get("review_threshold", 0.2), tasman.get("threshold", 0.99)
    parties = normalise_rows(((rid, kind, f) for rid, kind, _s, _i, f in recs), workers=1)
    rows = {r["uid"]: r for r in parties.to_pylist()}
    key_of = {uid(rid, role): (src, sid, role) for rid, _k, src, sid, _f in recs for role in ("", "sender",
                                                                                            "beneficiary")}
    subject = {uid(rid, role): ref for (rid, role), ref in placed.items()}
    by_person: dict[str, list[int]] = {}
    for u in rows:
        person = truth.get(key_of[u])
        if person is not None:
            by_person.setdefault(person, []).append(u)
    ceiling(rows, by_person)
    missed = [(min(a, b), max(a, b)) for us in by_person.values() for a, b in combinations(us, 2)
              if subject.get(a) != subject.get(b)]
    total = sum(len(us) * (len(us) - 1) // 2 for us in by_person.values())
    print(f"== {folder.name}: {len(missed)} of {total} true pairs missed")
    be = open_backend("duckdb")
    be.load("parties", parties)
    be.load("missed", pa.table({"a": pa.array([a for a, _ in missed], pa.int64()),
                                "b": pa.array([b for _, b in missed], pa.int64())}))
    # blocked: a key of one is the mate of a key of the other (tasman.link.blockkeys; the one blocking rule)
    got = be.query(f"SELECT m.a, m.b FROM missed m JOIN parties l ON l.uid = m.a JOIN parties r ON r.uid = m.b "
                   f"WHERE list_has_any(l.{BLOCK_KEYS}, list_transform(r.{BLOCK_KEYS}, lambda k: {mate_sql('k')}))")
    blocked = set(zip(got.column("a").to_pylist(), got.column("b").to_pylist(), strict=True))
    res = resolve(parties, LinkSettings(review_threshold=0.001), backend=be, model=model)
    pred = be.query(f"SELECT least(uid_l, uid_r) AS a, greatest(uid_l, uid_r) AS b, match_probability AS p "
                    f"FROM {res.stats['predictions_table']}")
    prob = {(a, b): p for a, b, p in zip(pred.column("a").to_pylist(), pred.column("b").to_pylist(),
                                         pred.column("p").to_pylist(), strict=True)}
    causes: Counter[str] = Counter()
    for a, b in missed:
        why = evidence(rows[a], rows[b]) or evidence(rows[a], rows[b], loose=True)
        p = prob.get((a, b))
        band = ("not scored" if p is None else f"p<{low}" if p < low else f"{low}<=p<{high} (the review band)"
                if p < high else f"p>={high}")
        causes[f"{why or 'nothing shared (only a chain through other records, or nothing)'} | {band}"] += 1
    print("-- missed pairs by cause (what the two records share) and by the model's probability")
    for k, n in causes.most_common():
        print(f"  {n:6d}  {k}")
    kinds: Counter[str] = Counter()
    shares: Counter[str] = Counter()
    combos: Counter[str] = Counter()
    bands: Counter[str] = Counter()
    for a, b in missed:
        ka, kb = sorted((rows[a]["kind"], rows[b]["kind"]))
        kinds[f"{ka}-{kb}"] += 1
        sh = _shares(rows[a], rows[b])
        shares.update(sh)
        combos[" | ".join(sh)] += 1
        p = prob.get((a, b))
        bands["not blocked" if (a, b) not in blocked else "blocked, p<0.001" if p is None else
              "p<0.1" if p < 0.1 else "p<0.5" if p < 0.5 else "p<0.99" if p < 0.99 else "p>=0.99 (cluster?)"] += 1
    for title, c in (("by kinds", kinds), ("by band", bands), ("shares", shares)):
        print(f"-- {title}")
        for k, n in c.most_common():
            print(f"  {n:6d}  {k}")
    print("-- commonest share patterns")
    for k, n in combos.most_common(show):
        print(f"  {n:6d}  {k}")
    cols = ("kind", "first_name", "last_name", "dob", "city", "country", "emails", "phones", "handle_names",
            "alias_last", "email_countries")
    print("-- examples (not blocked first)")
    ex = sorted(missed, key=lambda ab: ((ab in blocked), prob.get(ab, 0)))[:show]
    ex += [ab for ab in missed if ab in blocked and prob.get(ab, 0) < 0.99][:show]
    for a, b in ex:
        print(f"  p={prob.get((a, b))} blocked={(a, b) in blocked}")
        for u in (a, b):
            print("     ", {c: rows[u][c] for c in cols if rows[u][c]})
    be.close()
    ws.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--corpus", choices=["synth", "alt", "both"], default="both")
    ap.add_argument("--show", type=int, default=20)
    args = ap.parse_args()
    for name in (["synth", "alt"] if args.corpus == "both" else [args.corpus]):
        analyse(args.folder / name, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
