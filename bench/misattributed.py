"""Why persons are mis-attributed: per corpus, every person whose country ``bench/link.py``
counts as wrong, sorted into one cause each, with counts and a few examples.

    PYTHONPATH=src python bench/misattributed.py [--records 4000] [--seed 7] [--corpus synth|alt|both]
                                                 [--keep DIR] [--examples 3]

The corpus is generated, imported and linked as ``bench/link.py`` does (default settings); with
``--keep DIR`` a workspace already linked there is reused, so only attribution runs again. The
judgement is ``bench/link.py``'s (``judge_persons``): a person is right when the country most of
their attributed records got is theirs (one never attributed is wrong); the stricter figure, by the
subject holding most of each person, is printed beside it. Each person is also scored alone: every
fact of every record of theirs pooled (as if linking had been perfect), which separates what attribution gets wrong from
what linking did. Causes:

- ``no signal at all``: not one fact of any of the person's records points to a country (the
  ceiling: nothing to go on, so never guessed);
- ``pooled: a tie at the top``: all their records together point equally to two countries, so
  attribution names none (never a guess);
- ``pooled wrong: S won``: even all their records together rank another country first, signal S
  giving the most points to it;
- ``never attributed, though pooled right``: every part linking made of them is unattributed, yet
  their records together would point right;
- ``split, parts disagree``: pooled right, their parts were attributed to different countries and
  the wrong one holds most of their records;
- ``merged with others``: pooled right, a subject that also holds other persons' records got the
  wrong country, from those persons' evidence;
- ``not in a subject``: a party of theirs in no subject at all.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from link import Generated, generate, import_all, placed_parties  # bench/ is not a package
from tasman.attribute.facts import Fact, SubjectFacts
from tasman.attribute.gather import gather, member_facts
from tasman.attribute.scoring import Verdict
from tasman.attribute.service import assess, attribute_case, case_context
from tasman.attribute.signals import Env
from tasman.attribute.weights import default_weights
from tasman.core.models import Record
from tasman.core.workspace import Workspace
from tasman.evidence import create_case, get_case
from tasman.extract.models import Observation
from tasman.link.members import Member
from tasman.link.run import run_link
from tasman.link.settings import LinkSettings

CASE = "BENCH"


def prepare(name: str, root: Path, records: int, seed: int) -> tuple[Generated, Workspace]:
    """The corpus and a linked workspace (reused when ``root`` already holds one)."""
    gen = generate(name, root / "corpus", records, seed)
    db = root / "ws" / "tasman.db"
    if db.exists():
        return gen, Workspace.open(root / "ws", db_url=f"sqlite:///{db}", actor="bench")
    ws = Workspace.init(root / "ws", db_url=f"sqlite:///{db}", actor="bench")
    with ws.session() as s:
        create_case(s, ws.actor, CASE)
    import_all(ws, gen.files, CASE)
    with ws.session() as s:
        run_link(s, ws.actor, CASE, settings=LinkSettings(), workers=1)
    return gen, ws


def party_facts(ws: Workspace) -> dict[tuple[str, str, str], list[Fact]]:
    """(source, source id, role) -> the facts that party's own fields and observations give."""
    out: dict[tuple[str, str, str], list[Fact]] = {}
    with ws.session() as s:
        case_id = get_case(s, CASE).id
        obs: dict[int, list[Observation]] = defaultdict(list)
        for o in s.scalars(select(Observation).where(Observation.case_id == case_id,
                                                     Observation.record_id.is_not(None))):
            obs[o.record_id or 0].append(o)
        for rec in s.scalars(select(Record).where(Record.case_id == case_id)):
            roles = ("sender", "beneficiary") if rec.kind == "transactions" else ("",)
            for role in roles:
                out[(rec.source, rec.source_id, role)] = member_facts(Member(rec, role), obs.get(rec.id, []))[0]
    return out


def top_signal(v: Verdict) -> str:
    top = v.top
    if top is None:
        return "-"
    best = max(top.reasons, key=lambda r: r.points)
    return best.signal


def describe(v: Verdict, n: int = 3) -> str:
    return "; ".join(f"{c.country} {c.score:.2f} [" + ", ".join(f"{r.signal}:{r.value}" for r in c.reasons[:4]) + "]"
                     for c in v.ranked[:n]) or "(nothing)"


def analyse(gen: Generated, ws: Workspace, examples: int) -> None:
    with ws.session() as s:
        attribute_case(s, ws.actor, CASE)
    placed, _records, countries = placed_parties(ws, CASE)
    facts = party_facts(ws)
    weights = default_weights()
    with ws.session() as s:
        env = case_context(gather(s, get_case(s, CASE).id), Env())
    by_person: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for party, person in gen.truth.items():
        by_person[person].append(party)
    subject_persons: dict[str, set[str]] = defaultdict(set)
    for party, ref in placed.items():
        if party in gen.truth:
            subject_persons[ref].add(gen.truth[party])
    causes: Counter[str] = Counter()
    shown: dict[str, list[str]] = defaultdict(list)
    split = right_main = 0
    for person, country in sorted(gen.countries.items()):
        parties = by_person.get(person, [])
        mine = [placed[p] for p in parties if p in placed]
        held = Counter(mine)
        split += len(held) > 1
        main = held.most_common(1)[0][0] if held else None
        right_main += main is not None and countries.get(main) == country
        got = Counter(c for c in (countries.get(ref) for ref in mine) if c)
        top = got.most_common(2)
        if top and top[0][0] == country and not (len(top) > 1 and top[1][1] == top[0][1]):
            causes["right"] += 1
            continue
        sf = SubjectFacts(0, person)
        for p in parties:
            for f in facts.get(p, []):
                sf.add(f)
        pooled = assess(sf, weights, env)
        if any(p not in placed for p in parties):
            cause = "not in a subject"
        elif not pooled.ranked:
            cause = "no signal at all"
        elif pooled.top is None:
            cause = "no signal at all" if not pooled.ranked else "pooled: a tie at the top (left unattributed)"
        elif pooled.top.country != country:
            cause = f"pooled wrong: {top_signal(pooled)} won"
        elif not got:
            cause = "never attributed, though pooled right"
        elif any(subject_persons[ref] - {person} for ref in held if countries.get(ref) == top[0][0]):
            cause = "merged with others"
        else:
            cause = "split, parts disagree"
        causes[cause] += 1
        if len(shown[cause]) < examples:
            kinds = Counter(f.kind for f in sf.facts)
            shown[cause].append(f"{person} ({country}, {len(parties)} parties in {len(held)} subjects, "
                                f"got {dict(got)}); facts {dict(kinds)}; pooled: {describe(pooled)}")
    n = len(gen.countries)
    wrong = n - causes["right"]
    print(f"corpus {gen.name}: {n} persons, {causes['right']} right ({causes['right'] / n:.2%}), {wrong} wrong; "
          f"{split} persons split over several subjects; by the subject holding most of each person "
          f"{right_main} right ({right_main / n:.2%})")
    for cause, k in causes.most_common():
        if cause == "right":
            continue
        print(f"  {k:6d}  {k / n:6.2%}  {cause}")
        for e in shown[cause]:
            print(f"            e.g. {e}")
    ceiling = 1 - causes["no signal at all"] / n
    print(f"  ceiling (persons with any signal at all): {ceiling:.2%}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--corpus", choices=["synth", "alt", "both"], default="both")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it; reuse a linked workspace there")
    ap.add_argument("--examples", type=int, default=3)
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="tasman-bench-attr-"))
    print(f"records {args.records}, seed {args.seed}, folder {root}; load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()), flush=True)
    for name in (["synth", "alt"] if args.corpus == "both" else [args.corpus]):
        gen, ws = prepare(name, root / name, args.records, args.seed)
        analyse(gen, ws, args.examples)
        ws.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
