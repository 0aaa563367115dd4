"""Analysts' decisions: confirm, split, merge. Each is applied at once and stored, and every later
run replays all of them (newest first), so a split stays split and a merge stays merged.

- **confirm** S: the subject's current members belong together (kept together by later runs;
  new records may still join it); status ``confirmed``.
- **split** S PARTIES: the listed members leave S as a new subject; later runs keep the two
  parts apart (and each part together).
- **merge** S1 S2...: the subjects become one (the first keeps its reference); later runs keep
  them together.
- **apart** A B: two parties are different people (a probable link rejected in review,
  ``tasman.link.review``); later runs never put them in one subject. Nothing moves now.

When decisions conflict, the newer wins: a merge across an earlier split lifts that split; a
split (or apart) across an earlier merge or confirm keeps the parts apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.errors import InputError, NotFoundError
from tasman.core.models import Record
from tasman.evidence.cases import get_case
from tasman.link.clustering import Constraints
from tasman.link.keys import ROLES, parse_party_key, party_key, uid, uid_of_key
from tasman.link.models import Decision, RecordLink, Subject, SubjectRecord
from tasman.link.normalise import parties as record_parties
from tasman.link.subjects import REF_FORMAT, next_ref_number


def get_subject(session: Session, case_id: int, ref: str) -> Subject:
    s = session.scalar(select(Subject).where(Subject.case_id == case_id, Subject.ref == ref))
    if s is None:
        raise NotFoundError(f"no subject {ref!r} in this case: see 'tasman subject list'")
    return s


def members_of(session: Session, subject_id: int) -> list[tuple[int, str]]:
    return [(r, role) for r, role in session.execute(
        select(SubjectRecord.record_id, SubjectRecord.role).where(SubjectRecord.subject_id == subject_id)
        .order_by(SubjectRecord.record_id, SubjectRecord.role))]


def resolve_party(session: Session, case_id: int, spec: str) -> tuple[int, str]:
    """A party from ``SOURCE#ID[:ROLE]`` (as ``subject show`` prints it) or ``RECORD_ID[:ROLE]``."""
    text = spec.strip()
    role = ""
    if "#" in text:
        source, _, rest = text.rpartition("#")
        sid, sep, r = rest.rpartition(":") if rest.endswith((":sender", ":beneficiary")) else (rest, "", "")
        role = r if sep else ""
        rid = session.scalar(select(Record.id).where(Record.case_id == case_id, Record.source == source,
                                                    Record.source_id == sid))
        if rid is None:
            raise NotFoundError(f"no record {spec!r} in this case")
        return int(rid), role
    rid, role = parse_party_key(text)
    if session.scalar(select(Record.id).where(Record.case_id == case_id, Record.id == rid)) is None:
        raise NotFoundError(f"no record {spec!r} in this case")
    return rid, role


def refresh_subject(session: Session, subject: Subject) -> None:
    """Recompute a subject's display name and identifier summary from its members' records."""
    members = members_of(session, subject.id)
    ids = [r for r, _ in members]
    records = {r.id: r for r in session.scalars(select(Record).where(Record.id.in_(ids)))} if ids else {}
    names: Counter[str] = Counter()
    acc: dict[str, set[str]] = {k: set() for k in ("emails", "phones", "handles", "payrefs", "countries")}
    for rid, role in members:
        rec = records.get(rid)
        if rec is None:
            continue
        for p in record_parties(rid, rec.kind, rec.fields):
            if p["uid"] != uid(rid, role):
                continue
            if p["display_name"]:
                names[p["display_name"]] += 1
            for k in ("emails", "phones", "handles", "payrefs"):
                acc[k].update(p[k] or [])
            if p["country"]:
                acc["countries"].add(p["country"])
    subject.name = names.most_common(1)[0][0][:300] if names else ""
    subject.identifiers = {k: sorted(v) for k, v in acc.items() if v}


def _record(session: Session, actor: str, case_ref: str, case_id: int, kind: str, keys: list[str],
            other: list[str], refs: list[str], note: str) -> Decision:
    d = Decision(case_id=case_id, kind=kind, record_ids=keys, other_record_ids=other, subject_refs=refs,
                 note=note, actor=actor)
    session.add(d)
    session.flush()
    audit.record(session, actor, f"subject.{kind}", case_ref=case_ref, target=",".join(refs),
                 parties=len(keys) + len(other), note=note)
    return d


def confirm(session: Session, actor: str, case_ref: str, ref: str, note: str = "") -> Subject:
    case = get_case(session, case_ref)
    s = get_subject(session, case.id, ref)
    if s.status == "retired":
        raise InputError(f"subject {ref} is retired (it has no records)")
    keys = [party_key(r, role) for r, role in members_of(session, s.id)]
    s.status = "confirmed"
    _record(session, actor, case_ref, case.id, "confirm", keys, [], [ref], note)
    return s


def split(session: Session, actor: str, case_ref: str, ref: str, specs: list[str], note: str = ""
          ) -> tuple[Subject, Subject]:
    case = get_case(session, case_ref)
    s = get_subject(session, case.id, ref)
    members = members_of(session, s.id)
    chosen = [resolve_party(session, case.id, spec) for spec in specs]
    if not chosen:
        raise InputError("name the records to split off (SOURCE#ID as 'tasman subject show' lists them)")
    outsiders = [c for c in chosen if c not in members]
    if outsiders:
        raise InputError(f"record {party_key(*outsiders[0])} is not in subject {ref}")
    rest = [m for m in members if m not in chosen]
    if not rest:
        raise InputError(f"splitting off every record of {ref} changes nothing; name fewer records")
    new = Subject(case_id=case.id, ref=REF_FORMAT.format(next_ref_number(session, case.id)), status="confirmed",
                  run_id=s.run_id)
    session.add(new)
    session.flush()
    moving = set(chosen)
    for sr in session.scalars(select(SubjectRecord).where(SubjectRecord.subject_id == s.id)):
        if (sr.record_id, sr.role) in moving:
            sr.subject_id = new.id
    _drop_links_between(session, set(rest), moving)
    s.status = "confirmed"
    session.flush()
    refresh_subject(session, s)
    refresh_subject(session, new)
    _record(session, actor, case_ref, case.id, "split", [party_key(*m) for m in rest],
            [party_key(*m) for m in chosen], [ref, new.ref], note)
    return s, new


def merge(session: Session, actor: str, case_ref: str, refs: list[str], note: str = "") -> Subject:
    case = get_case(session, case_ref)
    if len(set(refs)) < 2:
        raise InputError("merge needs at least two different subjects")
    subjects = [get_subject(session, case.id, r) for r in refs]
    target = subjects[0]
    keys: list[str] = []
    for other in subjects:
        keys.extend(party_key(r, role) for r, role in members_of(session, other.id))
        if other is target:
            continue
        for sr in session.scalars(select(SubjectRecord).where(SubjectRecord.subject_id == other.id)):
            sr.subject_id = target.id
        other.status, other.identifiers = "retired", {}
    target.status = "confirmed"
    session.flush()
    refresh_subject(session, target)
    _record(session, actor, case_ref, case.id, "merge", keys, [], list(refs), note)
    return target


def keep_apart(session: Session, actor: str, case_ref: str, a: tuple[int, str], b: tuple[int, str],
               refs: list[str], note: str = "") -> Decision:
    """Record that parties ``a`` and ``b`` are different people (``refs``: their subjects as the
    analyst saw them); later runs keep them in different subjects. Their subjects are unchanged."""
    case = get_case(session, case_ref)
    if a == b:
        raise InputError("a party cannot be kept apart from itself")
    return _record(session, actor, case_ref, case.id, "apart", [party_key(*a)], [party_key(*b)], refs, note)


def _drop_links_between(session: Session, side_a: set[tuple[int, str]], side_b: set[tuple[int, str]]) -> None:
    ids = [r for r, _ in side_a | side_b]
    for link in session.scalars(select(RecordLink).where(RecordLink.record_a.in_(ids), RecordLink.record_b.in_(ids))):
        a, b = (link.record_a, link.role_a), (link.record_b, link.role_b)
        if (a in side_a and b in side_b) or (a in side_b and b in side_a):
            session.delete(link)


def list_decisions(session: Session, case_id: int) -> list[Decision]:
    return list(session.scalars(select(Decision).where(Decision.case_id == case_id).order_by(Decision.id)))


def compile_constraints(decisions: list[Decision], present: Container[int] | None = None
                        ) -> tuple[Constraints, dict[str, Any]]:
    """Decisions (oldest first) -> constraints for clustering, newest decisions first.

    A merge or confirm whose records span both sides of an earlier split lifts that split."""
    def uids(keys: list[str]) -> list[int]:
        out = []
        for k in keys:
            try:
                u = uid_of_key(k)
            except InputError:
                continue
            if present is None or u in present:
                out.append(u)
        return out

    together: list[list[int]] = []
    apart: list[tuple[set[int], set[int]] | None] = []
    missing = 0
    for d in decisions:
        a, b = uids(list(d.record_ids)), uids(list(d.other_record_ids))
        missing += len(d.record_ids) + len(d.other_record_ids) - len(a) - len(b)
        if d.kind in ("confirm", "merge"):
            group = set(a)
            for i, pair in enumerate(apart):
                if pair is not None and group & pair[0] and group & pair[1]:
                    apart[i] = None
            together.append(sorted(group))
        elif d.kind == "split":
            together.append(sorted(a))
            together.append(sorted(b))
            apart.append((set(a), set(b)))
        elif d.kind == "apart":
            apart.append((set(a), set(b)))
    constraints = Constraints(together=[g for g in reversed(together) if len(g) > 1],
                              apart=[p for p in apart if p is not None and p[0] and p[1]])
    return constraints, {"decisions": len(decisions), "parties_no_longer_present": missing}


__all__ = ["ROLES", "compile_constraints", "confirm", "keep_apart", "list_decisions", "merge", "split"]
