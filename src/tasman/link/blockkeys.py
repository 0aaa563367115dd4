"""Blocking keys computed once per party, so that Splink sees one blocking rule instead of 38.

Splink scores each pair once: for its n-th blocking rule it adds ``AND NOT (rule 1) ... AND NOT
(rule n-1)`` to that rule's join, so the cost of blocking grows with the square of the number of
rules (with 38 rules, four fifths of it was that filter). Every rule Tasman blocks with is an
equality of values of the two parties (a column, a prefix of one, several together, or one
party's key against another column of the other): each such value is made here into a string
``TAG|value`` and a party's values go into one array, ``block_keys``. One rule exploding that
array (``settings.blocking_rules``) joins two parties when a key of one is the *mate* of a key
of the other, and Splink's exploded pairs are distinct: the pairs are exactly the union of the
rules' pairs.

A tag is two characters, the key's own family and the family it meets. A symmetric rule (the
same value on both sides: ``l.name_key = r.name_key``) has a tag of one character twice
(``aa``): its keys meet keys of the same family. An asymmetric rule (a nameless party's key
against a named party's, ``l.alias_block1 = r.name_block``) has two tags, each the other read
backwards (``AN`` for the nameless side, ``NA`` for the named side): the mate of a key is the key
with the two characters of its tag swapped, so a nameless party's ``AN|kowa+m|PL`` meets a named
party's ``NA|kowa+m|PL``, and two named parties, both with ``NA`` keys only, never meet there
(at a million records that would be tens of millions of pairs). The join is
``l.block_keys = mate(r.block_keys)``; ``mate`` undoes itself, so the rule is the same read
either way round and each unordered pair is found whichever party has the lower id (Splink
keeps the lower id on the left): the old rules were written both ways round for that.

A key of several values joins them with ``|``; the values before the last are folded names,
cities and dates of birth (``idtypes.fold`` leaves letters, digits, ``_``, ``'``, ``-`` and
spaces; a date is ``YYYY-MM-DD``), none of which holds a ``|``, so two keys are equal only where
every value is: the union is exact. A value that is null gives no key (an equality with null is
never true).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

COLUMN = "block_keys"


def mate_sql(key: str) -> str:
    """SQL of a key's mate: its tag's two characters swapped (DuckDB, translated for Spark)."""
    return f"substr({key}, 2, 1) || substr({key}, 1, 1) || substr({key}, 3)"


# the one blocking rule, on the exploded keys: a key of one party is the mate of a key of the other
RULE_SQL = f"l.{COLUMN} = {mate_sql(f'r.{COLUMN}')}"

Value = Callable[[pa.Table], pa.ChunkedArray | pa.Array]


def _col(name: str) -> Value:
    return lambda t: t.column(name)


def _prefix(name: str, n: int) -> Value:
    return lambda t: pc.utf8_slice_codeunits(t.column(name), 0, n)


def _before_bar(name: str) -> Value:
    """The part before the first ``|`` (DuckDB's ``split_part(x, '|', 1)``): a nameless party's
    blocking key without its country."""
    return lambda t: pc.list_element(pc.split_pattern(t.column(name), "|", max_splits=1), 0)


class Family(NamedTuple):
    tag: str                   # two characters: this key's family, then the family it meets
    values: tuple[Value, ...]  # the values joined into the key (all non-null, or no key)


def _sym(tag: str, *values: Value) -> Family:
    return Family(tag + tag, values)


# named parties' keys (last name and initial, first name and last initial; in their country or
# against nameless parties of no known country) and nameless parties' (tasman.link.aliases)
NAME_BLOCKS = ("name_block", "name_block_swap", "name_block_any", "name_block_swap_any")
ALIAS_BLOCKS = ("alias_block1", "alias_block2")

# the rules, as they were written before they were keys (``l`` and ``r`` the two parties):
FAMILIES: tuple[Family, ...] = (
    _sym("a", _col("name_key")),                          # l.name_key = r.name_key
    _sym("b", _col("last_name"), _col("dob")),            # last_name, dob
    _sym("c", _col("first_name"), _col("dob")),           # first_name, dob
    _sym("d", _col("last_name"), _col("city")),           # last_name, city
    _sym("e", _col("first_name"), _col("city"), _prefix("last_name", 1)),   # first_name, city, last initial
    _sym("f", _col("dob"), _col("city")),                 # dob, city
    _sym("g", _col("dob"), _col("postcode")),             # dob, postcode
    _sym("h", _prefix("first_name", 3), _prefix("last_name", 3), _col("city")),     # three letters, city
    _sym("i", _prefix("first_name", 3), _prefix("last_name", 3), _prefix("dob", 4)),  # three letters, year
    # l.alias_blockX = r.<any of NAME_BLOCKS> and the reverse: a nameless party's key meets a named
    # party's, in the same country or (``|*``) of no known country; never two named parties
    *(Family("AN", (_col(a),)) for a in ALIAS_BLOCKS),
    *(Family("NA", (_col(n),)) for n in NAME_BLOCKS),
    # split_part(l.alias_blockX, '|', 1) = split_part(r.alias_blockY, '|', 1): two nameless parties
    # whose keys agree in last name and initial, whatever their countries
    *(_sym("j", _before_bar(a)) for a in ALIAS_BLOCKS),
    # split_part(l.alias_blockX, '|', 1) = r.name_block_placeless and the reverse: a nameless party
    # of any country against a named party whose place nothing says
    *(Family("PQ", (_before_bar(a),)) for a in ALIAS_BLOCKS),
    Family("QP", (_col("name_block_placeless"),)),
    _sym("k", _col("handle_name")),                       # the same screen name, whatever the platform
    # l.given_block_city = r.first_block_city, l.given_block_country = r.first_block_country and the
    # reverse: a lone first name with its city or country against a named party's first name there
    Family("GF", (_col("given_block_city"),)),
    Family("FG", (_col("first_block_city"),)),
    Family("CK", (_col("given_block_country"),)),
    Family("KC", (_col("first_block_country"),)),
)


def key_arrays(parties: pa.Table) -> list[pa.Array]:
    """One string array per family and source column, in :data:`FAMILIES`' order: ``TAG|value``
    (values joined with ``|``), null where a value is null."""
    out: list[pa.Array] = []
    for fam in FAMILIES:
        parts = [v(parties) for v in fam.values]
        joined = pc.binary_join_element_wise(fam.tag, *parts, "|")
        out.append(joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined)
    return out


def add_block_keys(parties: pa.Table) -> pa.Table:
    """The parties table with :data:`COLUMN` set (appended, or replaced when there): each party's
    keys in :data:`FAMILIES`' order; null for a party without any."""
    n = parties.num_rows
    arrays = key_arrays(parties)
    k = len(arrays)
    # row-major: the keys of party 0, then those of party 1...
    order = (np.arange(k, dtype=np.int64)[None, :] * n + np.arange(n, dtype=np.int64)[:, None]).ravel()
    values = pa.concat_arrays(arrays).take(pa.array(order))
    valid = values.is_valid().to_numpy(zero_copy_only=False).reshape(n, k)
    counts = valid.sum(axis=1)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    column = pa.ListArray.from_arrays(pa.array(offsets), values.drop_null(), type=pa.list_(pa.string()),
                                      mask=pa.array(counts == 0))
    field = pa.field(COLUMN, pa.list_(pa.string()))
    idx = parties.schema.get_field_index(COLUMN)
    return parties.set_column(idx, field, column) if idx >= 0 else parties.append_column(field, column)


def mates(keys: pa.Array) -> pa.Array:
    """Each key's mate (:func:`mate_sql` in Arrow): its tag's two characters swapped."""
    return pc.binary_join_element_wise(pc.utf8_slice_codeunits(keys, 1, 2), pc.utf8_slice_codeunits(keys, 0, 1),
                                       pc.utf8_slice_codeunits(keys, 2), "")


def capped(parties: pa.Table, limit: int, context: pa.Table | None = None) -> tuple[pa.Table, dict[str, int]]:
    """The parties with every blocking key dropped that meets more than ``limit`` parties, or
    whose mates are met by more than ``limit`` (its own kind held that widely), parties with the
    same keys counted once (:func:`_per_holder`): a key shared that
    widely joins each of its parties to hundreds of others, and being one of hundreds of
    candidates that agree on a name's prefix and a country says too little to score them all
    (what the key's value says of one pair is at most about ``1/limit``, the Splink users' cap on a
    blocking key's fan-out). A pair such a key found is still scored where the two parties share
    a rarer key. Counted over ``parties`` and ``context`` (an incremental run's stored parties,
    whose own keys are left as they are: a pair needs both its keys, so dropping the new
    parties' by the same counts drops exactly the pairs a full run would not score). Returns the
    table and what was dropped: ``keys`` (occurrences), ``values`` (distinct keys) and
    ``parties`` left without any key."""
    none = {"keys": 0, "values": 0, "parties": 0}
    if COLUMN not in parties.column_names or parties.num_rows == 0:
        return parties, none
    col = parties.column(COLUMN).combine_chunks()
    flat = pc.list_flatten(col)
    if len(flat) == 0:
        return parties, none
    mate = mates(flat)
    owner = pc.list_parent_indices(col)
    lists = [col]
    pool = flat
    holders = [owner]
    if context is not None and context.num_rows and COLUMN in context.column_names:
        # only the stored keys that a new key or its mate can be (the rest cannot change a count here)
        ctx = context.column(COLUMN).combine_chunks()
        other = pc.list_flatten(ctx)
        wanted = pc.is_in(other, value_set=pa.concat_arrays([flat, mate]))
        pool = pa.concat_arrays([flat, other.filter(wanted)])
        lists.append(ctx)
        holders.append(pc.add(pc.list_parent_indices(ctx), parties.num_rows).filter(wanted))
    counted = pc.value_counts(_per_holder(pool, pa.concat_arrays(holders), lists))
    values, counts = counted.field("values"), counted.field("counts").to_numpy()
    met = np.maximum(_lookup(flat, values, counts), _lookup(mate, values, counts))
    drop = met > int(limit)
    if not drop.any():
        return parties, none
    keep = ~drop
    parent = owner.to_numpy()
    per = np.bincount(parent[keep], minlength=parties.num_rows)
    had = np.asarray(pc.list_value_length(col).fill_null(0).to_numpy(zero_copy_only=False)) > 0
    offsets = np.zeros(parties.num_rows + 1, dtype=np.int32)
    np.cumsum(per, out=offsets[1:])
    column = pa.ListArray.from_arrays(pa.array(offsets), flat.filter(pa.array(keep)), type=pa.list_(pa.string()),
                                      mask=pa.array(per == 0))
    stats = {"keys": int(drop.sum()), "values": len(pc.unique(flat.filter(pa.array(drop)))),
             "parties": int((had & (per == 0)).sum())}
    idx = parties.schema.get_field_index(COLUMN)
    return parties.set_column(idx, parties.schema.field(COLUMN), column), stats


def _per_holder(keys: pa.Array, holder: pa.Array, lists: list[pa.ListArray]) -> pa.Array:
    """``keys`` (held by the parties ``holder`` indexes, over ``lists`` one after the other) once per
    distinct holder: parties whose keys are all the same (one person's hundred identical orders)
    are one holder, and a party holding a key twice (``NA|mart+m|ES`` from Martin Martinez's first
    and last name) holds it once. A key's count is then how many different identities meet on it,
    so one prolific person never caps his own keys (each of his records would otherwise be left
    without a probabilistic partner)."""
    joined = pc.binary_join(pa.chunked_array(lists).combine_chunks(), "\x1f")
    identity = pc.dictionary_encode(joined.fill_null("")).indices
    who = pc.take(identity, holder)
    table = pa.table({"k": keys, "w": who}).group_by(["k", "w"]).aggregate([])
    return table.column("k").combine_chunks()


def _lookup(keys: pa.Array, values: pa.Array, counts: np.ndarray) -> np.ndarray:
    """How often each of ``keys`` occurs (``values``/``counts`` from ``value_counts``; 0 if never)."""
    idx = pc.index_in(keys, value_set=values)
    out = np.zeros(len(keys), dtype=np.int64)
    found = idx.is_valid().to_numpy(zero_copy_only=False)
    out[found] = counts[idx.drop_null().to_numpy()]
    return out
