"""``tasman attribute``: score every subject of a case, store the run, set each subject's
country and confidence to its top candidate (or clear them when nothing points anywhere)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.attribute.facts import ADDRESS, CURRENCY, PROBABLE_LINK, Fact, SubjectFacts
from tasman.attribute.iplocate import AddressList
from tasman.attribute.models import AttributionRun, AttributionScore, SubjectAttribution
from tasman.attribute.places import CasePlaces
from tasman.attribute.scoring import Verdict, score
from tasman.attribute.signals import SIGNALS, Env, Finding, Signal
from tasman.attribute.signals.currency import source_file
from tasman.attribute.weights import Weights, default_weights
from tasman.core import audit
from tasman.core.errors import NotFoundError, NothingToDo
from tasman.evidence import get_case
from tasman.extract.identifiers import clean_country
from tasman.link.models import LinkRun, ProbableLink, Subject, SubjectRecord


@dataclass
class RunSummary:
    run_id: int
    subjects: int = 0
    attributed: int = 0
    conflicts: int = 0
    by_country: dict[str, int] = field(default_factory=dict)


def make_env(mmdb: Path | None = None, tor_exits: Path | None = None, vpn_ranges: Path | None = None) -> Env:
    lists = []
    if tor_exits:
        lists.append(AddressList.read("Tor exit", tor_exits))
    if vpn_ranges:
        lists.append(AddressList.read("VPN", vpn_ranges))
    env = Env(mmdb=mmdb, anonymisers=lists)
    if mmdb:
        env.locator()  # a bad file fails now, before anything is stored
    return env


def case_context(gathered: Iterable[SubjectFacts], env: Env, min_records: int = 20) -> Env:
    """What the case as a whole says, for signals to consult: the towns its address records name
    together with a country, and the sources (files) whose records all use one currency while
    their addresses lie in several countries (at least ``min_records`` of them): a shop's own
    currency, which says nothing about its customers."""
    towns = CasePlaces()
    seen: set[tuple[str, str, str]] = set()
    currencies: dict[str, set[str]] = defaultdict(set)
    countries: dict[str, set[str]] = defaultdict(set)
    records: dict[str, set[str]] = defaultdict(set)
    for sf in gathered:
        for f in sf.facts:
            if f.kind == ADDRESS and f.value.strip():
                cc = clean_country(f.value)
                city = str(f.meta.get("city") or "").strip()
                if cc is not None:
                    countries[source_file(f.source)].add(cc.value)
                    if city and (f.source, city, cc.value) not in seen:
                        seen.add((f.source, city, cc.value))
                        towns.add(city, cc.value)
            elif f.kind == CURRENCY:
                currencies[source_file(f.source)].add(f.value.strip().upper())
                records[source_file(f.source)].add(f.source)
    uniform = {src: next(iter(cur)) for src, cur in currencies.items()
               if len(cur) == 1 and len(records[src]) >= min_records and len(countries[src]) > 1}
    return replace(env, case_places=towns, uniform_currency=uniform)


def probable_facts(session: Session, case_id: int, own: dict[int, tuple[str, str, float]]
                   ) -> dict[int, list[Fact]]:
    """Subject id -> a fact per probable link (the latest link run's, between the review and link
    thresholds) to another subject that ``own`` (subject id -> (ref, country, confidence), from its
    own evidence) places."""
    party_subject: dict[tuple[int, str], int] = {
        (rid, role or ""): sid for rid, role, sid in session.execute(
            select(SubjectRecord.record_id, SubjectRecord.role, SubjectRecord.subject_id)
            .join(Subject, Subject.id == SubjectRecord.subject_id)
            .where(Subject.case_id == case_id, Subject.status != "retired"))}
    run_id = session.scalar(select(LinkRun.id).where(LinkRun.case_id == case_id).order_by(LinkRun.id.desc()).limit(1))
    out: dict[int, list[Fact]] = defaultdict(list)
    if run_id is None:
        return {}
    for ra, rla, rb, rlb, p in session.execute(
            select(ProbableLink.record_a, ProbableLink.role_a, ProbableLink.record_b, ProbableLink.role_b,
                   ProbableLink.probability).where(ProbableLink.run_id == run_id)):
        a, b = party_subject.get((ra, rla or "")), party_subject.get((rb, rlb or ""))
        if a is None or b is None or a == b:
            continue
        for this, other in ((a, b), (b, a)):
            if other in own:
                ref, cc, conf = own[other]
                out[this].append(Fact(PROBABLE_LINK, ref, f"probable link of records {ra} and {rb}", "record",
                                      meta={"country": cc, "probability": round(float(p), 3),
                                            "confidence": conf}))
    return dict(out)


def assess(facts: SubjectFacts, weights: Weights, env: Env) -> Verdict:
    signals: list[Signal] = [cls(weights.of(name), env) for name, cls in SIGNALS.items()]
    findings: list[Finding] = []
    for fact in facts.facts:
        for sig in signals:
            if fact.kind in sig.kinds:
                findings.extend(sig.assess(fact))
    return score(findings, weights)


def attribute_case(session: Session, actor: str, case_ref: str, weights: Weights | None = None,
                   env: Env | None = None, progress: Callable[[int, int], None] | None = None) -> RunSummary:
    """Attribute every subject of the case in a new run; ``progress(done, total)`` after each subject.
    A case with no subjects raises ``NothingToDo`` (no run is stored)."""
    from tasman.attribute.gather import gather

    case = get_case(session, case_ref)
    if session.scalar(select(Subject.id).where(Subject.case_id == case.id).limit(1)) is None:
        raise NothingToDo(f"nothing to attribute: case {case.ref} has no subjects; "
                          f"make them with `tasman link --case {case.ref}`")
    weights = weights or default_weights()
    env = env or Env()
    run = AttributionRun(case_id=case.id, actor=actor,
                         settings={"weights": weights.model_dump(mode="json"),  # for reproduction
                                   "ip_database": str(env.mmdb) if env.mmdb else "geoip2fast (embedded)",
                                   "anonymiser_lists": [a.label for a in env.anonymisers]})
    session.add(run)
    session.flush()
    summary = RunSummary(run_id=run.id)
    subjects = {s.id: s for s in session.scalars(select(Subject).where(Subject.case_id == case.id))}
    gathered = gather(session, case.id)
    env = case_context(gathered, env)
    run.settings = {**run.settings, "case_towns": len(env.case_places.towns) if env.case_places else 0,
                    "uniform_currency_sources": dict(env.uniform_currency)}
    verdicts = {facts.subject_id: assess(facts, weights, env) for facts in gathered}
    own = {sid: (subjects[sid].ref, v.top.country, v.top.confidence) for sid, v in verdicts.items() if v.top}
    borrowed = probable_facts(session, case.id, own)
    for done, facts in enumerate(gathered, 1):
        verdict = verdicts[facts.subject_id]
        if facts.subject_id in borrowed:
            verdict = assess(SubjectFacts(facts.subject_id, facts.subject_ref,
                                          [*facts.facts, *borrowed[facts.subject_id]]), weights, env)
        _store(session, run.id, subjects[facts.subject_id], verdict)
        summary.subjects += 1
        if verdict.top is not None:
            summary.attributed += 1
            summary.by_country[verdict.top.country] = summary.by_country.get(verdict.top.country, 0) + 1
        summary.conflicts += int(verdict.conflict)
        if progress is not None:
            progress(done, len(gathered))
    run.stats = {"subjects": summary.subjects, "attributed": summary.attributed, "conflicts": summary.conflicts,
                 "by_country": summary.by_country}
    run.finish()
    audit.record(session, actor, "attribute.run", case_ref=case_ref, target=f"run {run.id}", **run.stats)
    return summary


def _store(session: Session, run_id: int, subject: Subject, v: Verdict) -> None:
    top = v.top
    session.add(SubjectAttribution(run_id=run_id, subject_id=subject.id, country=top.country if top else None,
                                   confidence=top.confidence if top else None, conflict=v.conflict,
                                   ignored=list(v.ignored)))
    for cs in v.ranked:
        session.add(AttributionScore(run_id=run_id, subject_id=subject.id, country=cs.country, score=cs.score,
                                     confidence=cs.confidence, rank=cs.rank,
                                     reasons=[r.as_dict() for r in cs.reasons]))
    subject.country = top.country if top else None
    subject.confidence = top.confidence if top else None


def latest_run(session: Session, case_id: int) -> AttributionRun | None:
    return session.scalars(select(AttributionRun).where(AttributionRun.case_id == case_id)
                           .order_by(AttributionRun.id.desc()).limit(1)).first()


def subject_ranking(session: Session, run_id: int, subject_id: int) -> dict[str, Any]:
    sa = session.scalar(select(SubjectAttribution).where(SubjectAttribution.run_id == run_id,
                                                         SubjectAttribution.subject_id == subject_id))
    scores = session.scalars(select(AttributionScore).where(AttributionScore.run_id == run_id,
                                                            AttributionScore.subject_id == subject_id)
                             .order_by(AttributionScore.rank))
    return {
        "conflict": bool(sa.conflict) if sa else False,
        "ignored": list(sa.ignored) if sa else [],
        "ranked": [{"country": s.country, "score": s.score, "confidence": s.confidence, "rank": s.rank,
                    "reasons": list(s.reasons)} for s in scores],
    }


def show(session: Session, actor: str, case_ref: str, subject_ref: str | None = None) -> dict[str, Any]:
    """The latest run's results: every subject (or one, with its reasons)."""
    case = get_case(session, case_ref)
    run = latest_run(session, case.id)
    if run is None:
        raise NotFoundError(f"case {case_ref!r} has no attribution yet: run 'tasman attribute --case {case_ref}'")
    q = select(Subject).where(Subject.case_id == case.id).order_by(Subject.ref)
    if subject_ref is not None:
        q = q.where(Subject.ref == subject_ref)
    subjects: Iterable[Subject] = list(session.scalars(q))
    if subject_ref is not None and not subjects:
        raise NotFoundError(f"no subject {subject_ref!r} in case {case_ref!r}")
    rows = []
    for s in subjects:
        detail = subject_ranking(session, run.id, s.id)
        rows.append({"subject": s.ref, "name": s.name, "country": s.country, "confidence": s.confidence, **detail})
    audit.record(session, actor, "attribute.show", case_ref=case_ref, target=subject_ref or "all",
                 run=run.id, subjects=len(rows))
    return {"run": run.id, "started_at": run.started_at.isoformat(), "settings": run.settings, "subjects": rows}
