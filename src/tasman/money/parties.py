"""Party resolution: which senders and beneficiaries are the same person.

Sides that share a strong identifier (account, phone, email) are one party (union-find). A
side with only a name joins the party of the same folded name in the same country when there
is exactly one such party; otherwise it stays on its own, because a common name alone says
little. Each party's key is its smallest strong identifier, so keys are stable across runs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from tasman.money.transfers import Side, Transfer


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass
class Party:
    key: str
    names: Counter[str] = field(default_factory=Counter)
    phones: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)
    countries: Counter[str] = field(default_factory=Counter)
    cities: Counter[str] = field(default_factory=Counter)
    phone_countries: Counter[str] = field(default_factory=Counter)
    subjects: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        return self.names.most_common(1)[0][0] if self.names else ""

    @property
    def country(self) -> str | None:
        return self.countries.most_common(1)[0][0] if self.countries else None

    def strong_keys(self) -> set[str]:
        return ({f"phone:{p}" for p in self.phones} | {f"email:{e.lower()}" for e in self.emails}
                | {f"account:{a}" for a in self.accounts})

    def add(self, side: Side) -> None:
        if side.name:
            self.names[side.name] += 1
        if side.phone:
            self.phones.add(side.phone)
        if side.phone_country:
            self.phone_countries[side.phone_country] += 1
        if side.email:
            self.emails.add(side.email)
        if side.account:
            self.accounts.add(side.account)
        if side.country:
            self.countries[side.country] += 1
        if side.city:
            self.cities[side.city] += 1


def resolve_parties(transfers: Iterable[Transfer]) -> dict[str, Party]:
    """Fill ``sender_party`` / ``beneficiary_party`` on every transfer and return the parties by key."""
    items = list(transfers)
    uf = _UnionFind()
    sides: list[tuple[Transfer, str, Side]] = []
    for t in items:
        for role, side in (("sender", t.sender), ("beneficiary", t.beneficiary)):
            sides.append((t, role, side))
            keys = side.strong_keys()
            for k in keys:
                uf.find(k)
            for k in keys[1:]:
                uf.union(keys[0], k)
    # names that belong to exactly one strong cluster
    name_roots: dict[str, set[str]] = defaultdict(set)
    for _t, _role, side in sides:
        keys = side.strong_keys()
        if keys and side.name_key:
            name_roots[side.name_key].add(uf.find(keys[0]))
    parties: dict[str, Party] = {}
    for t, role, side in sides:
        keys = side.strong_keys()
        if keys:
            root = uf.find(keys[0])
        else:
            nk = side.name_key or "name:?"
            roots = name_roots.get(nk, set())
            root = uf.find(next(iter(roots))) if len(roots) == 1 else nk
        party = parties.get(root)
        if party is None:
            party = parties[root] = Party(key=root)
        party.add(side)
        if role == "sender":
            t.sender_party = root
        else:
            t.beneficiary_party = root
    return parties
