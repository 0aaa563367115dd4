"""Names run together in a screen name or an email's local part (``martakowal``, ``kowalskamarta``),
read with the names the case itself holds, as an analyst reads them next to the case's "Marta
Kowalska".

``tasman.link.aliases`` cuts screen names into tokens at punctuation and digits; a name written
without a separator stays one token it cannot read. Here a party known by no name has each such
token of six or more letters cut where its head is a name token some named party of the case
has (three letters or more) and its tail is another (whole, or its first four letters: a
truncated surname, ``kowal``). A single letter is not a tail: ``obinnas`` read as "Obinna S."
would meet "Saroke Obina" written surname first as a last name and initial. Each cut is read as
two tokens and given the same keys a separated name gets (``token_keys``, ``block_keys``), so the
alias comparison and its blocking rules meet it like ``marta_kowal``. The dictionary is the
case's own names, not a list shipped with Tasman: a cut is made only where a name that could be
meant is there to be met, and what a cut gives is evidence the comparison still weighs.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tasman.link.aliases import ANY_COUNTRY, alias_tokens, block_keys, given_keys, token_keys

MIN_TOKEN = 6   # a shorter run-in token is too likely to be cut by chance
MIN_HEAD = 3    # a name token used as a dictionary word has at least this many letters
MAX_CUTS = 3    # at most this many readings of one token
MIN_FIRST = 4   # a first name read before a run-in last initial has at least this many letters


def vocabulary(parties: pa.Table) -> tuple[frozenset[str], frozenset[str]]:
    """(name tokens, their four-letter prefixes) of the case's named parties."""
    tokens = pc.unique(pc.list_flatten(parties.column("name_tokens"))).to_pylist()
    words = frozenset(t for t in tokens if t and len(t) >= MIN_HEAD and t.isalpha())
    return words, frozenset(t[:4] for t in words if len(t) >= 4)


def cuts(token: str, words: frozenset[str], prefixes: frozenset[str]) -> list[tuple[str, str]]:
    """Readings of one run-in token as two name tokens, longest head first."""
    if len(token) < MIN_TOKEN:
        return []
    out: list[tuple[str, str]] = []
    for i in range(len(token) - 1, MIN_HEAD - 1, -1):
        head, tail = token[:i], token[i:]
        if head not in words:
            continue
        if tail in words or (len(tail) >= 4 and tail[:4] in prefixes):
            out.append((head, tail))
            if len(out) >= MAX_CUTS:
                break
    return out


def _union(old: list[str] | None, new: set[str]) -> list[str] | None:
    merged = set(old or []) | new
    return sorted(merged) or None


def first_names(parties: pa.Table) -> frozenset[str]:
    """The first names (four letters or more) of the case's parties that give a last name too."""
    both = pc.and_(pc.is_valid(parties.column("first_name")), pc.is_valid(parties.column("last_name")))
    names = pc.unique(pc.filter(parties.column("first_name"), both)).to_pylist()
    return frozenset(n for n in names if n and len(n) >= MIN_FIRST and n.isalpha())


def first_and_initial(token: str, firsts: frozenset[str]) -> tuple[str, str] | None:
    """A token read as a first name of the case and a last initial run together (``leticiav``:
    ``leticia`` + ``v``), the way many people make a screen name; else None. Only ever read as a
    first name and an initial: ``obinnas`` is not "Obinna" as a last name with the initial S."""
    head, tail = token[:-1], token[-1:]
    return (head, tail) if len(token) > MIN_FIRST and tail.isalpha() and head in firsts else None


NAME_BLOCK_COLUMNS = ("name_block", "name_block_swap", "name_block_any", "name_block_swap_any")


def known_keys(parties: pa.Table) -> frozenset[str]:
    """The blocking keys named parties offer (``kowa+m``: last name and initial, first name and last
    initial), without their country: what a nameless party's key can meet at all."""
    out: set[str] = set()
    for col in NAME_BLOCK_COLUMNS:
        for key in pc.unique(parties.column(col)).to_pylist():
            if key:
                out.add(key.partition("|")[0])
    return frozenset(out)


def ranked_blocks(keys: list[str], known: frozenset[str], limit: int = 2) -> list[str]:
    """Up to ``limit`` blocking keys, each once, those that some named party of the case offers
    first (in their order), then the rest: a nameless party has two blocking keys, and a key no
    name of the case gives (``bamb+v`` from ``bamboobamboo6056`` next to ``emeka.veleemi.97``)
    can only meet another nameless party."""
    seen: list[str] = []
    for k in keys:
        if k not in seen:
            seen.append(k)
    return ([k for k in seen if k.partition("|")[0] in known] + [k for k in seen if k.partition("|")[0] not in known]
            )[:limit]


def _case(parties: pa.Table, context: pa.Table | None, columns: list[str]) -> pa.Table:
    """The columns the case's names are read from: of ``parties``, and of ``context`` too (an
    incremental run's stored parties, so new parties are read with the whole case's names)."""
    if context is None or context.num_rows == 0:
        return parties
    return pa.concat_tables([context.select(columns), parties.select(columns)])


def add_run_in_keys(parties: pa.Table, context: pa.Table | None = None) -> pa.Table:
    """The parties table with alias keys and blocking keys added for run-in names of the parties
    known by no name (others unchanged), and their two blocking keys chosen among those of each
    screen name and email apart (:func:`ranked_blocks`): the two longest tokens of all of them
    together may come from two texts (a screen name's word and an email's surname). The case's
    names are those of ``parties`` and ``context`` (the stored parties of an incremental run)."""
    if parties.num_rows == 0:
        return parties
    nameless = pc.and_(pc.is_null(parties.column("name_tokens")),
                       pc.or_(pc.is_valid(parties.column("handle_names")), pc.is_valid(parties.column("emails"))))
    idx = pc.indices_nonzero(nameless).to_pylist()
    if not idx:
        return parties
    case = _case(parties, context, ["name_tokens", "first_name", "last_name", *NAME_BLOCK_COLUMNS])
    words, prefixes = vocabulary(case)
    firsts = first_names(case)
    known = known_keys(case)
    sub = parties.take(pa.array(idx, pa.int64())).select(
        ["handle_names", "emails", "country", "email_countries", "alias_full", "alias_init", "alias_last",
         "alias_block1", "alias_block2"]).to_pylist()
    names = ("alias_full", "alias_init", "alias_last", "alias_first", "alias_block1", "alias_block2")
    changed: dict[str, dict[int, object]] = {c: {} for c in names}
    for i, row in zip(idx, sub, strict=True):
        texts = [*(row["handle_names"] or []), *(e.rpartition("@")[0] for e in row["emails"] or [])]
        toks = alias_tokens(texts)
        read = [c for t in toks for c in cuts(t, words, prefixes)] if words else []
        place = row["country"] or ((row["email_countries"] or [None])[0])
        blocks: list[str] = []
        if read:
            full: set[str] = set()
            init: set[str] = set()
            last: set[str] = set()
            for head, tail in read:
                f, n, la = token_keys((head, tail))
                full |= f
                init |= n
                last |= la
                blocks += block_keys([head, tail], place)
            changed["alias_full"][i] = _union(row["alias_full"], full)
            changed["alias_init"][i] = _union(row["alias_init"], init)
            changed["alias_last"][i] = _union(row["alias_last"], last)
        initials = [fi for t in toks if (fi := first_and_initial(t, firsts))]
        if initials:  # leticiav97: the first name and last initial key (leti+v), and its blocking key
            changed["alias_first"][i] = sorted({f"{h[:4]}+{t}" for h, t in initials})
            blocks += [f"{h[:4]}+{t}|{place or ANY_COUNTRY}" for h, t in initials]
        # the cut's keys first: a run-in token's own reading (initial and rest) is the weaker one
        old = [b for b in (row["alias_block1"], row["alias_block2"]) if b]
        apart = [b for text in texts if len(texts) > 1 for b in block_keys(alias_tokens([text]), place)]
        ordered = ranked_blocks([*blocks, *old, *apart], known)
        if ordered != old:
            changed["alias_block1"][i] = ordered[0] if ordered else None
            changed["alias_block2"][i] = ordered[1] if len(ordered) > 1 else None
    for name in names:
        if changed[name]:
            field = parties.schema.field(name)
            parties = parties.set_column(parties.schema.get_field_index(name), field,
                                         _replaced(parties.column(name), changed[name]))
    return parties


def _replaced(col: pa.ChunkedArray, values: dict[int, object]) -> pa.ChunkedArray:
    """``col`` with the rows ``values`` names replaced by their values: the new values appended
    and every row taken from where it now is, without the whole column in Python."""
    n = len(col)
    rows = np.fromiter(values, dtype=np.int64, count=len(values))
    where = np.arange(n, dtype=np.int64)
    where[rows] = n + np.arange(len(rows), dtype=np.int64)
    extra = pa.chunked_array([pa.array(list(values.values()), col.type)])
    both = pa.chunked_array([*col.chunks, *extra.chunks], col.type)
    return pa.chunked_array([both.take(pa.array(where)).combine_chunks()], col.type)


GIVEN_MAX = 20  # a first name and place that more named parties share than this is no blocking key


def given_names(tokens: list[str], firsts: frozenset[str]) -> list[str]:
    """The case's first names (:func:`first_names`) that begin a screen name's or an email's token,
    the longest reading of each token (``milospepper`` -> ``milos``; ``marta_k88`` -> ``marta``),
    in the tokens' order, each once."""
    out: list[str] = []
    for tok in tokens:
        for k in range(len(tok), MIN_FIRST - 1, -1):
            if tok[:k] in firsts:
                if tok[:k] not in out:
                    out.append(tok[:k])
                break
    return out


def add_given_keys(parties: pa.Table, context: pa.Table | None = None) -> pa.Table:
    """A lone first name with a place, as evidence and as a blocking key: the first names of the case
    that a nameless party's screen names and emails begin with (``milospepper0`` beside the case's
    "Milos Kovac") go into its ``alias_given`` (the alias comparison's level "first name in the
    other's screen name or email"), and the first of them, with its city and its country (stated,
    else the email provider's), into its ``given_block_city`` / ``given_block_country``, which meet
    named parties' ``first_block_city`` / ``first_block_country``. A key that more than
    :data:`GIVEN_MAX` named parties offer is dropped (a common first name in a country: too many
    pairs for what one of them would say; a first name alone is weak evidence). The case's first
    names, and the named parties counted, are those of ``parties`` and ``context`` (the stored
    parties of an incremental run)."""
    if parties.num_rows == 0:
        return parties
    case = _case(parties, context, ["first_name", "last_name", "first_block_city", "first_block_country"])
    nameless = pc.and_(pc.is_null(parties.column("name_tokens")),
                       pc.or_(pc.is_valid(parties.column("handle_names")), pc.is_valid(parties.column("emails"))))
    idx = pc.indices_nonzero(nameless).to_pylist()
    firsts = first_names(case)
    cols: dict[str, list[object]] = {c: parties.column(c).to_pylist() for c in
                                     ("alias_given", "given_block_city", "given_block_country")}
    changed = False
    if idx and firsts:
        sub = parties.take(pa.array(idx, pa.int64())).select(
            ["handle_names", "emails", "city", "country", "email_countries"]).to_pylist()
        for i, row in zip(idx, sub, strict=True):
            texts = [*(row["handle_names"] or []), *(e.rpartition("@")[0] for e in row["emails"] or [])]
            found = given_names(alias_tokens(texts), firsts)
            if not found:
                continue
            old = cols["alias_given"][i]
            cols["alias_given"][i] = list(dict.fromkeys([*(old or []), *found]))
            if not old:
                place = row["country"] or ((row["email_countries"] or [None])[0])
                cols["given_block_city"][i], cols["given_block_country"][i] = given_keys(found[0], row["city"], place)
            changed = True
    for side, named in (("given_block_city", "first_block_city"), ("given_block_country", "first_block_country")):
        counts = pc.value_counts(pc.drop_null(case.column(named))).to_pylist()
        common = {c["values"] for c in counts if c["counts"] > GIVEN_MAX}
        if common:
            values = cols[side]
            for i, v in enumerate(values):
                if v in common:
                    values[i] = None
                    changed = True
    if not changed:
        return parties
    for name, values in cols.items():
        field = parties.schema.field(name)
        parties = parties.set_column(parties.schema.get_field_index(name), field, pa.array(values, field.type))
    return parties
