"""The review queue: probable links (pairs the latest run scored at or above the review threshold
but below the link threshold, left in two subjects) for an analyst to accept (the same person:
their subjects are merged) or reject (different people: later runs keep the two records apart).

Guarantees: the queue holds only pairs of the latest run whose two sides are still in different
subjects and whose subjects no verdict has settled yet, one per two subjects, ordered by what a
verdict is worth (a merge that would change a subject's country first, then the records an
accepting verdict is expected to bring together: the probability times the two subjects' sizes
added); a verdict is
one decision of ``tasman.link.decisions`` (replayed by every later run) plus its pair-level record
(``PairReview``), stored with its audit entry in the caller's transaction; a pair a later run no
longer holds, or one already settled, is refused and nothing changes. Every read is audited.
The ``same`` verdicts are labels from which later runs estimate the model's m values
(``labels``, ``tasman.link.training``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from tasman.core import audit
from tasman.core.errors import AlreadyExistsError, InputError, NotFoundError
from tasman.core.models import Case, Record
from tasman.evidence.cases import get_case
from tasman.link import decisions
from tasman.link.keys import party_key, uid
from tasman.link.models import Decision, LinkRun, PairReview, ProbableLink, Subject, SubjectRecord

VERDICTS = {"accept": "same", "reject": "different"}


@dataclass
class ReviewPair:
    """A probable link waiting for a verdict: its two parties (record id and role), their subjects
    now, their countries (the attribution, else the stated countries), and the run's explanation."""

    id: int
    run_id: int
    probability: float
    match_weight: float
    record_a: int
    role_a: str
    record_b: int
    role_b: str
    subject_a: str
    subject_b: str
    countries_a: list[str]
    countries_b: list[str]
    changes_country: bool
    explanation: dict[str, Any] = field(default_factory=dict)
    party_a: str = ""   # SOURCE#ID[:ROLE], as 'tasman subject show' names a record
    party_b: str = ""
    records_a: int = 1  # parties in each side's subject now
    records_b: int = 1

    @property
    def expected_pairs(self) -> float:
        """The pairs of parties an accepting verdict would join (one verdict joins every cross pair),
        times the probability: what the verdict adds to pairwise recall if the probability held
        for the two subjects (shown, not the order: see :attr:`expected_records`)."""
        return self.probability * self.records_a * self.records_b

    @property
    def expected_records(self) -> float:
        """The queue's expected value: the records an accepting verdict would bring together (the
        two subjects' sizes added), times the probability. Not the cross pairs (their product): the
        probability is one record pair's, and between two large subjects the best of many scored
        pairs is the one shown, so it overstates what is known of the two subjects; by the product,
        two subjects of 14 and 4 records that share a common name at 0.13 came before a likely match
        of two small ones at 0.99, and an analyst's first 200 verdicts went to such namesakes
        (docs/link.md)."""
        return self.probability * (self.records_a + self.records_b)

    @property
    def countries_disagree(self) -> bool:
        """Both subjects attributed, to no country in common: evidence against the merge that the
        model, which scored the two records alone, did not see."""
        return bool(self.countries_a and self.countries_b and not set(self.countries_a) & set(self.countries_b))

    @property
    def ref(self) -> str:
        """What names the pair to people and forms: ``RUN-ID``, so a pair of an earlier run (whose
        row ids a later run may reuse) is never taken for another."""
        return pair_ref(self.run_id, self.id)

    @property
    def a(self) -> str:
        return party_key(self.record_a, self.role_a)

    @property
    def b(self) -> str:
        return party_key(self.record_b, self.role_b)

    def as_dict(self) -> dict[str, Any]:
        return {"pair": self.ref, **asdict(self), "a": self.a, "b": self.b}


@dataclass
class PairDetail:
    """One pair side by side: each party's record (its fields) and subject, and the explanation
    with each comparison's level, weight (log2 Bayes factor) and Bayes factor."""

    pair: ReviewPair
    sides: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {**self.pair.as_dict(), "sides": self.sides}


@dataclass
class Verdict:
    pair: str
    verdict: str
    subjects: list[str]   # accept: the subject kept (the other merged into it); reject: the two, unchanged
    decision: int


def pair_ref(run_id: int, pair_id: int) -> str:
    return f"{run_id}-{pair_id}"


def parse_pair(text: str) -> tuple[int, int]:
    """``RUN-ID`` (as the queue shows it) -> (run id, pair id)."""
    run, sep, pid = str(text).strip().partition("-")
    if not sep or not run.isdigit() or not pid.isdigit() or len(run) > 18 or len(pid) > 18:
        raise InputError(f"not a probable link: {text!r} (expected RUN-ID as 'tasman link review list' shows it)")
    return int(run), int(pid)


def latest_run(session: Session, case_id: int) -> int | None:
    return session.scalar(select(func.max(LinkRun.id)).where(LinkRun.case_id == case_id,
                                                            LinkRun.finished_at.is_not(None)))


def _countries(country: str | None, identifiers: dict[str, Any] | None) -> list[str]:
    if country:
        return [country]
    return sorted((identifiers or {}).get("countries", []))


def _ordered(a: tuple[int, str], b: tuple[int, str]) -> tuple[tuple[int, str], tuple[int, str]]:
    return (a, b) if uid(*a) <= uid(*b) else (b, a)


def _settled(session: Session, case_id: int) -> set[frozenset[int]]:
    """Pairs of subjects (ids) that a verdict has settled: a reviewed pair's subjects now."""
    ra, rb = aliased(SubjectRecord), aliased(SubjectRecord)
    q = (select(ra.subject_id, rb.subject_id).select_from(PairReview)
         .join(ra, (ra.record_id == PairReview.record_a) & (ra.role == PairReview.role_a))
         .join(rb, (rb.record_id == PairReview.record_b) & (rb.role == PairReview.role_b))
         .where(PairReview.case_id == case_id))
    return {frozenset((x, y)) for x, y in session.execute(q)}


def _pending(session: Session, case: Case, pair_id: int | None = None, subject_id: int | None = None
             ) -> list[ReviewPair]:
    run_id = latest_run(session, case.id)
    if run_id is None:
        return []
    ra, rb = aliased(SubjectRecord), aliased(SubjectRecord)
    sa, sb = aliased(Subject), aliased(Subject)
    pl = ProbableLink
    q = (select(pl.id, pl.probability, pl.match_weight, pl.record_a, pl.role_a, pl.record_b, pl.role_b,
                sa.id, sa.ref, sa.country, sa.identifiers, sb.id, sb.ref, sb.country, sb.identifiers)
         .join(ra, (ra.record_id == pl.record_a) & (ra.role == pl.role_a)).join(sa, sa.id == ra.subject_id)
         .join(rb, (rb.record_id == pl.record_b) & (rb.role == pl.role_b)).join(sb, sb.id == rb.subject_id)
         .where(pl.run_id == run_id, sa.id != sb.id))
    if pair_id is not None:
        q = q.where(pl.id == pair_id)
    if subject_id is not None:
        q = q.where((sa.id == subject_id) | (sb.id == subject_id))
    settled = _settled(session, case.id)
    rows = [r for r in session.execute(q) if frozenset((r[7], r[11])) not in settled]
    ids = {i for r in rows for i in (r[7], r[11])}
    sizes: dict[int, int] = {sid: n for sid, n in session.execute(
        select(SubjectRecord.subject_id, func.count()).where(SubjectRecord.subject_id.in_(ids))
        .group_by(SubjectRecord.subject_id))} if ids else {}
    out = []
    for (pid, p, w, rec_a, role_a, rec_b, role_b, ida, refa, ca, ia, idb, refb, cb, ib) in rows:
        countries_a, countries_b = _countries(ca, ia), _countries(cb, ib)
        out.append(ReviewPair(id=pid, run_id=run_id, probability=p, match_weight=w, record_a=rec_a, role_a=role_a,
                              record_b=rec_b, role_b=role_b, subject_a=refa, subject_b=refb,
                              countries_a=countries_a, countries_b=countries_b,
                              changes_country=set(countries_a) != set(countries_b),
                              records_a=int(sizes.get(ida, 1)), records_b=int(sizes.get(idb, 1))))
    return out


LIKELY = 0.5  # a merge at least this probable is expected to happen: its country change counts first


def order_key(p: ReviewPair) -> tuple[bool, bool, float, float, int]:
    """A likely merge (probability at least :data:`LIKELY`) that would change a subject's country
    first, then by expected value: the records an accepting verdict is expected to bring together
    (:attr:`ReviewPair.expected_records`), then the more probable; the pair's id breaks ties. Two
    subjects attributed to different countries (:attr:`ReviewPair.countries_disagree`) come after
    all the others, however probable: the model scored two records and did not see the
    attributions, which are right for most persons, so such a pair is most often two people (on the
    4,000-record synth corpus, 30 of the queue's first 200 verdicts were rejections of such pairs
    scored 0.7 to 0.9; docs/link.md). A likely merge that gives an unattributed subject its country
    still comes first."""
    return (p.countries_disagree, not (p.changes_country and p.probability >= LIKELY), -p.expected_records,
            -p.probability, p.id)


def _one_per_subject_pair(pairs: list[ReviewPair]) -> list[ReviewPair]:
    """The first pair (in queue order) of each two subjects: one verdict settles the two subjects,
    so the others would only wait for nothing."""
    seen: set[frozenset[str]] = set()
    out = []
    for p in pairs:
        key = frozenset((p.subject_a, p.subject_b))
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _explain(pairs: list[ReviewPair], session: Session) -> None:
    """Fill each pair's explanation (with Bayes factors) and its parties' names."""
    rids = {r for p in pairs for r in (p.record_a, p.record_b)}
    names = {rid: f"{src}#{sid}" for rid, src, sid in session.execute(
        select(Record.id, Record.source, Record.source_id).where(Record.id.in_(rids)))} if rids else {}
    for p in pairs:
        p.party_a = names.get(p.record_a, str(p.record_a)) + (f":{p.role_a}" if p.role_a else "")
        p.party_b = names.get(p.record_b, str(p.record_b)) + (f":{p.role_b}" if p.role_b else "")
    ids = [p.id for p in pairs]
    found: dict[int, Any] = {i: ex for i, ex in session.execute(
        select(ProbableLink.id, ProbableLink.explanation).where(ProbableLink.id.in_(ids)))} if ids else {}
    for p in pairs:
        ex = dict(found.get(p.id) or {})
        ex["fields"] = {name: {**f, "bayes_factor": round(2.0 ** float(f.get("weight", 0.0)), 4)}
                        for name, f in (ex.get("fields") or {}).items()}
        p.explanation = ex


def queue(session: Session, actor: str, case_ref: str, limit: int | None = None,
          subject: str | None = None) -> list[ReviewPair]:
    """The pairs of ``case_ref`` waiting for a verdict, best first (:func:`order_key`), one per two
    subjects (the first), at most ``limit``; only those with a side in ``subject`` when given.
    Audited (``link.review.list``)."""
    case = get_case(session, case_ref)
    if limit is not None and limit < 1:
        raise InputError(f"limit {limit!r} must be 1 or more")
    subject_id = decisions.get_subject(session, case.id, subject).id if subject else None
    pending = sorted(_pending(session, case, subject_id=subject_id), key=order_key)
    pairs = _one_per_subject_pair(pending)[:limit]
    _explain(pairs, session)
    audit.record(session, actor, "link.review.list", case_ref=case_ref, target=subject or "", count=len(pairs))
    return pairs


def _pair(session: Session, case: Case, ref: str) -> ReviewPair:
    """The pending pair ``ref``, or why it is not one (not found, settled, no longer split)."""
    run, pair_id = parse_pair(ref)
    latest = latest_run(session, case.id)
    pending = _pending(session, case, pair_id=pair_id) if run == latest else []
    if pending:
        return pending[0]
    pl = session.get(ProbableLink, pair_id) if run == latest else None
    if pl is None or pl.run_id != latest:
        raise NotFoundError(f"no probable link {ref} in case {case.ref}: the latest link run does not hold it "
                            f"(a later run replaced the queue); see 'tasman link review list --case {case.ref}'")
    (a, b) = _ordered((pl.record_a, pl.role_a), (pl.record_b, pl.role_b))
    done = session.scalar(select(PairReview).where(
        PairReview.case_id == case.id, PairReview.record_a == a[0], PairReview.role_a == a[1],
        PairReview.record_b == b[0], PairReview.role_b == b[1]))
    if done is not None:
        raise AlreadyExistsError(f"probable link {ref} was already reviewed: {done.verdict} person "
                                 f"({done.actor}, {done.decided_at:%Y-%m-%d %H:%M})")
    raise NotFoundError(f"probable link {ref} no longer waits for review: its records are in one subject now, "
                        "or a verdict on another pair of their subjects settled it")


def show(session: Session, actor: str, case_ref: str, ref: str) -> PairDetail:
    """One pending pair (``RUN-ID``) side by side. Audited (``link.review.show``)."""
    case = get_case(session, case_ref)
    pair = _pair(session, case, ref)
    _explain([pair], session)
    records = {r.id: r for r in session.scalars(select(Record).where(Record.id.in_([pair.record_a, pair.record_b])))}
    sides = []
    for rid, role, ref in ((pair.record_a, pair.role_a, pair.subject_a), (pair.record_b, pair.role_b, pair.subject_b)):
        rec = records[rid]
        subj = decisions.get_subject(session, case.id, ref)
        n = session.scalar(select(func.count()).select_from(SubjectRecord).where(SubjectRecord.subject_id == subj.id))
        sides.append({"party": f"{rec.source}#{rec.source_id}" + (f":{role}" if role else ""),
                      "key": party_key(rid, role), "kind": rec.kind, "fields": _fields(rec.fields, role),
                      "subject": {"ref": subj.ref, "name": subj.name, "status": subj.status, "records": int(n or 0),
                                  "country": subj.country, "identifiers": dict(subj.identifiers or {})}})
    audit.record(session, actor, "link.review.show", case_ref=case_ref, target=f"pair {ref}",
                 parties=[pair.a, pair.b])
    return PairDetail(pair, sides)


def _fields(fields: dict[str, Any], role: str) -> dict[str, Any]:
    if not role:
        return {k: v for k, v in fields.items() if k not in ("extra", "identifiers", "files")}
    prefix = f"{role}_"
    return {k[len(prefix):]: v for k, v in fields.items() if k.startswith(prefix)}


def decide(session: Session, actor: str, case_ref: str, ref: str, action: str, note: str = "") -> Verdict:
    """``accept`` (the same person: the two subjects are merged, as ``tasman subject merge`` does) or
    ``reject`` (different people: the two parties are kept apart by later runs) one pending pair."""
    if action not in VERDICTS:
        raise InputError(f"unknown verdict {action!r}: accept or reject")
    case = get_case(session, case_ref)
    pair = _pair(session, case, ref)
    a, b = _ordered((pair.record_a, pair.role_a), (pair.record_b, pair.role_b))
    if action == "accept":
        refs = sorted([pair.subject_a, pair.subject_b])
        kept = decisions.merge(session, actor, case_ref, refs, note)
        subjects = [kept.ref, *[r for r in refs if r != kept.ref]]
    else:
        subjects = [pair.subject_a, pair.subject_b]
        decisions.keep_apart(session, actor, case_ref, a, b, subjects, note)
    decision_id = session.scalar(select(func.max(Decision.id)).where(Decision.case_id == case.id))
    assert decision_id is not None
    session.add(PairReview(case_id=case.id, record_a=a[0], role_a=a[1], record_b=b[0], role_b=b[1],
                           verdict=VERDICTS[action], probability=pair.probability, run_id=pair.run_id,
                           decision_id=decision_id, note=note, actor=actor))
    session.flush()
    audit.record(session, actor, f"link.review.{action}", case_ref=case_ref, target=f"pair {ref}",
                 parties=[party_key(*a), party_key(*b)], subjects=subjects, probability=pair.probability, note=note)
    return Verdict(pair=ref, verdict=VERDICTS[action], subjects=subjects, decision=decision_id)


def accept(session: Session, actor: str, case_ref: str, ref: str, note: str = "") -> Verdict:
    return decide(session, actor, case_ref, ref, "accept", note)


def reject(session: Session, actor: str, case_ref: str, ref: str, note: str = "") -> Verdict:
    return decide(session, actor, case_ref, ref, "reject", note)


def labels(session: Session, case_id: int, present: set[int] | None = None) -> list[tuple[int, int]]:
    """The ``same`` verdicts of a case as pairs of party uids (both present, when ``present`` is
    given): the labels a run estimates m from."""
    out = []
    for ra, rla, rb, rlb in session.execute(select(PairReview.record_a, PairReview.role_a, PairReview.record_b,
                                                   PairReview.role_b)
                                            .where(PairReview.case_id == case_id, PairReview.verdict == "same")
                                            .order_by(PairReview.id)):
        ua, ub = uid(ra, rla), uid(rb, rlb)
        if present is None or (ua in present and ub in present):
            out.append((ua, ub))
    return out


__all__ = ["PairDetail", "ReviewPair", "Verdict", "accept", "decide", "labels", "pair_ref", "parse_pair", "queue",
           "reject", "show"]
