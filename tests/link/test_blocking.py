"""Blocking: one exploding rule on each party's keys (``link/blockkeys.py``) gives exactly the pairs
of the 38 rules it stands for, taken one by one; the alias keys stay one-sided (two named parties
never meet on them); an incremental run's ``predict_between`` and ``predict_within`` block the same
way."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from splink import Linker

from tasman.extract.idtypes import fold
from tasman.link import blockkeys
from tasman.link.backends import Backend, open_backend
from tasman.link.keys import uid
from tasman.link.normalise import normalise_rows
from tasman.link.settings import LinkSettings, apply_priors
from tasman.records.importers import Options, importer_for
from tasman.synth.corpus import make_corpus

from .conftest import usable

NAME_BLOCKS = ("name_block", "name_block_swap", "name_block_any", "name_block_swap_any")

# the rules as Tasman had them before they were keys (settings version 6), plain SQL on two parties
RULES_ONE_BY_ONE = [
    "l.name_key = r.name_key",
    "l.last_name = r.last_name AND l.dob = r.dob",
    "l.first_name = r.first_name AND l.dob = r.dob",
    "l.last_name = r.last_name AND l.city = r.city",
    "l.first_name = r.first_name AND l.city = r.city AND substr(l.last_name, 1, 1) = substr(r.last_name, 1, 1)",
    "l.dob = r.dob AND l.city = r.city",
    "l.dob = r.dob AND l.postcode = r.postcode",
    "substr(l.first_name, 1, 3) = substr(r.first_name, 1, 3) AND substr(l.last_name, 1, 3) = "
    "substr(r.last_name, 1, 3) AND l.city = r.city",
    "substr(l.first_name, 1, 3) = substr(r.first_name, 1, 3) AND substr(l.last_name, 1, 3) = "
    "substr(r.last_name, 1, 3) AND substr(l.dob, 1, 4) = substr(r.dob, 1, 4)",
    *(f"l.{a} = r.{b}" for named in NAME_BLOCKS for alias in ("alias_block1", "alias_block2")
      for a, b in ((alias, named), (named, alias))),
    *(f"split_part(l.alias_block{x}, '|', 1) = split_part(r.alias_block{y}, '|', 1)"
      for x, y in ((1, 1), (1, 2), (2, 1), (2, 2))),
    *(f"split_part({a}.alias_block{x}, '|', 1) = {b}.name_block_placeless"
      for x in (1, 2) for a, b in (("l", "r"), ("r", "l"))),
    "l.handle_name = r.handle_name",
    *(f"{a}.given_block_{place} = {b}.first_block_{place}"
      for place in ("city", "country") for a, b in (("l", "r"), ("r", "l"))),
]

# every kind of key, with pairs that only one kind makes
CRAFTED: list[dict[str, Any]] = [
    {"name": "Jan Nowak"}, {"name": "Nowak Jan", "country": "PL"},                           # name key
    {"name": "Ewa Lis", "dob": "1990-01-02"}, {"name": "Ola Lis", "dob": "1990-01-02"},       # last name, dob
    {"name": "Ada Kruk", "dob": "1985-05-05"}, {"name": "Ada Sowa", "dob": "1985-05-05"},   # first name, dob
    {"name": "Piotr Wrona", "city": "Gdansk"}, {"name": "Adam Wrona", "city": "Gdańsk"},     # last name, city
    {"name": "Tomasz Bak", "city": "Lodz"}, {"name": "Tomasz Baran", "city": "Lodz"},        # first, city, initial
    {"name": "Igor Zet", "dob": "1970-07-07", "city": "Kielce"},
    {"name": "Olaf Mur", "dob": "1970-07-07", "city": "Kielce"},                              # dob, city
    {"name": "Rita Po", "dob": "1971-01-01", "postcode": "00-950"},
    {"name": "Uma Gil", "dob": "1971-01-01", "postcode": "00-950"},                           # dob, postcode
    {"name": "Barbara Kowal", "city": "Opole"}, {"name": "Barnaba Kowalczyk", "city": "Opole"},  # three letters
    {"name": "Zenon Malik", "dob": "1960-03-04"}, {"name": "Zenobia Malinowska", "dob": "1960-09-09"},
    {"name": "Marta Kowalska", "country": "PL"},                                              # alias keys
    {"username": "mart_kowal77", "platform": "Czat.pl", "country": "PL"},
    {"name": "Marek Kowalczyk", "country": "PL"},         # named, the same kowa+m|PL: never met by the alias keys
    {"username": "giuseppe_m69", "platform": "forum", "country": "IT"},
    {"name": "Giuseppe Moretti", "country": "IT"},                                            # swapped keys
    {"username": "s.haklund", "platform": "forum"}, {"name": "Sven Haklund", "country": "SE"},  # |* keys
    {"username": "fola_yusuf71", "platform": "forum", "country": "NG"},
    {"email": "folake.yusuf@mail.example", "country": "GB"},                                  # two nameless
    {"name": "Helena Dunaj"}, {"username": "hele_dunaj", "platform": "chat", "country": "CZ"},  # placeless
    {"username": "quietfox", "platform": "alpha"}, {"username": "quietfox", "platform": "beta"},  # screen name
    {"name": "Milos Kovac", "city": "Novi Sad", "country": "RS"},
    {"username": "milospepper0", "platform": "chat", "city": "Novi Sad", "country": "RS"},  # first name, city
    {"name": "Dragana Ilic", "country": "RS"},
    {"username": "dragana_xx", "platform": "chat", "country": "RS"},                          # first name, country
    {"name": "Dragana Petrovic", "country": "RS", "city": "Nis"},  # named: never met by the first name keys
    {"username": "nobody", "platform": "chat"}, {},
]


def _crafted() -> list[tuple[int, str, dict[str, Any]]]:
    kind = {True: "customers", False: "chats"}
    return [(i, kind["username" not in f], f) for i, f in enumerate(CRAFTED, start=1)]


def _corpus(tmp_path: Path) -> list[tuple[int, str, dict[str, Any]]]:
    rows: list[tuple[int, str, dict[str, Any]]] = []
    corpus = make_corpus(tmp_path, records=300, seed=3)
    for _source, (kind, path) in usable(corpus).items():
        for _sid, fields in importer_for(kind).parse(path, Options()).rows:
            rows.append((1000 + len(rows), kind, fields))
    return rows


def _linker(be: Backend, table: str = "parties") -> Linker:
    settings = apply_priors(LinkSettings().splink_settings().create_settings_dict(be.dialect))
    settings["probability_two_random_records_match"] = 1e-4
    logging.getLogger("splink").setLevel(logging.ERROR)
    return Linker(be.splink_api().register(table), settings, log_level=None, validate_settings=False)


def _blocked(parties: pa.Table) -> set[tuple[int, int]]:
    """The pairs Splink scores with the settings' blocking rules."""
    with open_backend("duckdb") as be:
        be.load("parties", parties)
        pairs = _linker(be).inference.compute_blocked_pairs_for_predict()
        t = be.query(f"SELECT join_key_l AS a, join_key_r AS b FROM {pairs.physical_name}")
    found = list(zip(t.column("a").to_pylist(), t.column("b").to_pylist(), strict=True))
    assert len(found) == len(set(found))  # each pair once
    return set(found)


def _one_by_one(parties: pa.Table) -> set[tuple[int, int]]:
    """The union of the rules' pairs, each rule a plain join (the lower id on the left)."""
    with open_backend("duckdb") as be:
        be.load("parties", parties)
        union = " UNION ".join(f"SELECT l.uid AS a, r.uid AS b FROM parties l JOIN parties r ON ({rule}) "
                               "WHERE l.uid < r.uid" for rule in RULES_ONE_BY_ONE)
        t = be.query(union)
    return set(zip(t.column("a").to_pylist(), t.column("b").to_pylist(), strict=True))


def test_one_rule_gives_the_pairs_of_the_rules_one_by_one(tmp_path: Path) -> None:
    parties = normalise_rows([*_crafted(), *_corpus(tmp_path)])
    tags = {k.partition("|")[0] for keys in parties.column(blockkeys.COLUMN).to_pylist() for k in keys or []}
    assert tags == {f.tag for f in blockkeys.FAMILIES}  # every kind of key is there to be met
    expected = _one_by_one(parties)
    assert len(expected) > 500
    assert _blocked(parties) == expected
    crafted = {uid(i) for i, _k, _f in _crafted()}
    # each crafted pair (1-2, 3-4, ...) that shares a key is blocked, whichever kind of key it is
    for a in range(1, 18, 2):
        assert (uid(a), uid(a + 1)) in expected, CRAFTED[a - 1]
    assert {(a, b) for a, b in expected if a in crafted and b in crafted} >= {
        (uid(19), uid(20)), (uid(20), uid(21)), (uid(22), uid(23)), (uid(24), uid(25)), (uid(26), uid(27)),
        (uid(28), uid(29)), (uid(30), uid(31)), (uid(32), uid(33)), (uid(34), uid(35)), (uid(35), uid(36))}


def test_two_named_parties_never_meet_on_alias_or_first_name_keys() -> None:
    parties = normalise_rows(_crafted())
    rows = {r["uid"]: r for r in parties.to_pylist()}
    marta, chat, marek = rows[uid(19)], rows[uid(20)], rows[uid(21)]
    assert marta["name_block"] == marek["name_block"] == "kowa+m|PL" and chat["alias_block1"] == "kowa+m|PL"
    assert "AN|kowa+m|PL" in chat[blockkeys.COLUMN] and "NA|kowa+m|PL" in marta[blockkeys.COLUMN]
    ilic, petrovic = rows[uid(34)], rows[uid(36)]
    assert ilic["first_block_country"] == petrovic["first_block_country"] == "dragana|RS"
    blocked = _blocked(parties)
    assert (uid(19), uid(20)) in blocked and (uid(20), uid(21)) in blocked
    assert (uid(34), uid(35)) in blocked and (uid(35), uid(36)) in blocked
    assert (uid(19), uid(21)) not in blocked  # two named parties with the same last name and initial
    assert (uid(34), uid(36)) not in blocked  # two named parties with the same first name and country
    # no key of a named party is the mate of a key of another named party, whatever the case
    named = [r for r in rows.values() if r["name_tokens"] and len(r["name_tokens"]) > 1]
    one_sided = {"AN", "NA", "PQ", "QP", "GF", "FG", "CK", "KC"}
    tags = {k.partition("|")[0] for r in named for k in r[blockkeys.COLUMN] or []}
    assert tags & one_sided and not {t[::-1] for t in tags & one_sided} & tags


def test_a_key_joins_its_values_without_ambiguity() -> None:
    # the values before a key's last are folded names and cities or dates: none holds the separator
    assert "|" not in fold("Anna|Maria Nowak") and "|" not in fold("Gdańsk | Oliwa")
    (p,) = normalise_rows([(1, "customers", {"name": "Anna Nowak", "dob": "1990-01-02", "city": "Gdansk",
                                             "postcode": "80-001"})]).to_pylist()
    assert "bb|nowak|1990-01-02" in p[blockkeys.COLUMN] and "gg|1990-01-02|80-001" in p[blockkeys.COLUMN]
    assert "ii|ann|now|1990" in p[blockkeys.COLUMN]
    (q,) = normalise_rows([(2, "tips", {})]).to_pylist()
    assert q[blockkeys.COLUMN] is None


def test_incremental_blocking_gives_the_full_runs_pairs_with_a_new_party(tmp_path: Path) -> None:
    parties = normalise_rows([*_crafted(), *_corpus(tmp_path)])
    new_mask = pa.array([u % 3 == 0 for u in parties.column("uid").to_pylist()])
    old, new = parties.filter(pc.invert(new_mask)), parties.filter(new_mask)
    new_uids = set(new.column("uid").to_pylist())
    full = {p for p in _blocked(parties) if p[0] in new_uids or p[1] in new_uids}
    with open_backend("duckdb") as be:
        be.load("parties", parties)
        be.load("old_parties", old)
        be.load("new_parties", new)
        linker = _linker(be)
        for column in linker._settings_obj._term_frequency_columns:
            linker.table_management.compute_tf_table(column.name)
        api = be.splink_api()
        between = linker.inference.predict_between(api.register("old_parties"), api.register("new_parties"),
                                                   warning_mode="never")
        within = linker.inference.predict_within(api.register("new_parties"), warning_mode="never")
        got: set[tuple[int, int]] = set()
        for df in (between, within):
            t = be.query(f"SELECT least(uid_l, uid_r) AS a, greatest(uid_l, uid_r) AS b FROM {df.physical_name}")
            got |= set(zip(t.column("a").to_pylist(), t.column("b").to_pylist(), strict=True))
    assert len(full) > 100 and got == full


@pytest.mark.parametrize("tag", sorted({f.tag for f in blockkeys.FAMILIES}))
def test_a_keys_mate_is_its_tag_read_backwards(tag: str) -> None:
    tags = {f.tag for f in blockkeys.FAMILIES}
    assert len(tag) == 2 and tag[::-1] in tags  # every key can be met
    with open_backend("duckdb") as be:
        mate = be.query("SELECT " + blockkeys.RULE_SQL.split(" = ", 1)[1].replace("r.block_keys", "k") + " AS m "
                        f"FROM (SELECT '{tag}|x|y' AS k)").column("m")[0].as_py()
    assert mate == f"{tag[::-1]}|x|y"


def _key_pairs(parties: pa.Table, limit: int | None = None) -> set[tuple[int, int]]:
    """Brute force: the pairs whose keys meet (a key and its mate), keys over ``limit`` left out
    (a key counts when it or its mate is held by more than ``limit`` identities: parties with the
    same keys are one)."""
    held: dict[str, list[int]] = {}
    identities: dict[str, set[tuple[str, ...]]] = {}
    for u, keys in zip(parties.column("uid").to_pylist(), parties.column(blockkeys.COLUMN).to_pylist(), strict=True):
        for k in keys or []:
            held.setdefault(k, []).append(u)
            identities.setdefault(k, set()).add(tuple(keys))
    pairs: set[tuple[int, int]] = set()
    for k, us in held.items():
        mate = k[1] + k[0] + k[2:]
        them = held.get(mate, [])
        if limit is not None and max(len(identities[k]), len(identities.get(mate, ()))) > limit:
            continue
        pairs |= {(min(a, b), max(a, b)) for a in us for b in them if a != b}
    return pairs


def test_a_widely_shared_key_is_dropped_and_the_pairs_of_the_rest_stay(tmp_path: Path) -> None:
    parties = normalise_rows([*_crafted(), *_corpus(tmp_path)])
    assert _blocked(parties) == _key_pairs(parties)  # the brute force is the rule
    counts = pc.value_counts(pc.list_flatten(parties.column(blockkeys.COLUMN))).field("counts").to_pylist()
    limit = 3
    assert max(counts) > limit  # some keys are over it
    capped, dropped = blockkeys.capped(parties, limit)
    assert dropped["keys"] > 0 and dropped["values"] > 0
    kept = _blocked(capped)
    assert kept == _key_pairs(parties, limit)
    assert 0 < len(kept) < len(_key_pairs(parties))
    # no key left meets more than the limit of identities
    ids: dict[str, set[tuple[str, ...]]] = {}
    for before, after in zip(parties.column(blockkeys.COLUMN).to_pylist(), capped.column(blockkeys.COLUMN).to_pylist(),
                             strict=True):
        for k in after or []:
            ids.setdefault(k, set()).add(tuple(before))
    assert max(len(v) for v in ids.values()) <= limit
    # a limit above every count changes nothing (the same table back)
    same, none = blockkeys.capped(parties, max(counts))
    assert same is parties and none == {"keys": 0, "values": 0, "parties": 0}


def test_one_persons_identical_records_never_cap_their_own_keys() -> None:
    """A hundred and twenty identical orders of one person are one identity on every key they hold:
    none of them is dropped, so they still meet one another (the review's cliff: at 101 identical
    records every key went, and each record became a subject of its own)."""
    rows = [(i + 1, "customers", {"name": "Jan Kowalski", "dob": "1980-02-03", "city": "Gdansk", "country": "PL"})
            for i in range(120)]
    parties = normalise_rows(rows)
    assert len(set(map(tuple, parties.column(blockkeys.COLUMN).to_pylist()))) == 1
    same, none = blockkeys.capped(parties, 100)
    assert same is parties and none == {"keys": 0, "values": 0, "parties": 0}
    # a namesake born another year shares the name's keys: two identities, over a limit of one
    rows.append((500, "customers", {"name": "Jan Kowalski", "dob": "1975-06-07", "city": "Gdansk", "country": "PL"}))
    parties = normalise_rows(rows)
    _capped, dropped = blockkeys.capped(parties, 1)
    assert dropped["keys"] > 0


def test_an_incremental_cap_drops_the_pairs_a_full_run_drops(tmp_path: Path) -> None:
    parties = normalise_rows([*_crafted(), *_corpus(tmp_path)])
    new_mask = pa.array([u % 3 == 0 for u in parties.column("uid").to_pylist()])
    old, new = parties.filter(pc.invert(new_mask)), parties.filter(new_mask)
    new_uids = set(new.column("uid").to_pylist())
    limit = 3
    full, _ = blockkeys.capped(parties, limit)
    expected = {p for p in _key_pairs(full) if p[0] in new_uids or p[1] in new_uids}
    new_capped, dropped = blockkeys.capped(new, limit, context=old)
    assert dropped["keys"] > 0
    got = {p for p in _key_pairs(pa.concat_tables([old, new_capped]))
           if p[0] in new_uids or p[1] in new_uids}
    assert len(expected) > 50 and got == expected


def test_the_run_report_says_what_the_cap_dropped() -> None:
    from tasman.link.run import LinkResult

    stats = {"stored": {"kept_refs": 0, "new_refs": 1, "retired": 0}, "parties": 3, "subjects": 3, "links": 0,
             "threshold": 0.95, "deterministic": {}, "decisions": {"decisions": 0},
             "blocking_capped": {"limit": 100, "keys": 2143785, "values": 13429, "parties": 413}}
    notes = [line for line in LinkResult(1, stats).lines() if "blocking key" in str(line)]
    assert notes == ["note: 13429 blocking keys held by more than 100 different parties not used to find candidate "
                     "pairs (413 records left with no key; pairs that share a rarer key are still scored)"]
    stats["blocking_capped"] = {"limit": 100, "keys": 0, "values": 0, "parties": 0}
    assert not [line for line in LinkResult(1, stats).lines() if "blocking key" in str(line)]
