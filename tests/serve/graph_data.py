"""A generated case for the link graph: subjects as linking stores them, each with identifiers of
its own and some identifiers shared by two to five subjects (neutral made-up values)."""

from __future__ import annotations

import random

from sqlalchemy.orm import Session

from tasman.core.models import Case
from tasman.link.models import LinkRun, Subject

COUNTRIES = ["GB", "PH", "NL", "DE", None]


def add_subjects(s: Session, case: Case, subjects: int = 600, shared: int = 200, seed: int = 5) -> int:
    """Adds ``subjects`` subjects (two identifiers of their own each) and ``shared`` identifiers
    held by several of them; returns the number of graph nodes that makes."""
    rnd = random.Random(seed)
    run = LinkRun(case_id=case.id, threshold=0.9, actor="setup")
    s.add(run)
    s.flush()
    ids: list[dict[str, list[str]]] = [
        {"emails": [f"user{n}@example.invalid"], "phones": [f"+4477009{n:05d}"], "handles": [], "payrefs": []}
        for n in range(subjects)]
    for k in range(shared):
        for n in rnd.sample(range(subjects), rnd.choice([2, 2, 2, 3, 3, 4, 5])):
            if k % 2:
                ids[n]["handles"].append(f"shared_handle_{k}")
            else:
                ids[n]["payrefs"].append(f"iban:GB00TEST{k:010d}")
    for n, held in enumerate(ids):
        s.add(Subject(case_id=case.id, ref=f"S-{n + 1:06d}", name=f"Person {n + 1}", run_id=run.id,
                      identifiers={k: v for k, v in held.items() if v}, country=COUNTRIES[n % len(COUNTRIES)]))
    s.flush()
    return subjects * 3 + shared
