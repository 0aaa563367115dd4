"""Records -> parties with normalised columns, using the same typed cleaners as extraction.

Phones go to E.164 with the record's own country for national formats; emails are validated
and compared case-insensitively; names are folded and transliterated (``Дмитрий`` ->
``dmitrij``) and split into first and last name and a sorted token key that does not care
about order; countries become ISO 3166 codes from any spelling or language. A payment
reference becomes ``iban:...``, ``paypal:...`` or ``ref:...``; masked card numbers identify
no one and are dropped.

A screen name is typed as what it is (``tasman.extract.screennames``: an email in a username
field is an email) and a handle is kept on any platform: ``handles`` holds those on built-in
platforms (the deterministic rule joins on them), ``site_handles`` those on a site's own
namespace and on ``unknown`` (no platform given), compared by Splink only, and ``handle_names``
every handle's name whatever its platform. ``alias_*`` are the keys of ``tasman.link.aliases``
(a name inside a screen name or an email's local part, compared with the other side's first and
last name), and
``email_countries`` the countries of email providers.

Every record gives at least one party, with or without anything to link on: a record is never
left out of subjects. ``basis`` says what a party had to link on (reported for those that end up
alone).
"""

from __future__ import annotations

import json
import operator
import os
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import phonenumbers
import pyarrow as pa

from tasman.core.fields import SIDES, field, side_field
from tasman.core.gcpause import collector_paused
from tasman.extract.identifiers import (
    PLATFORMS,
    UNKNOWN_PLATFORM,
    IdType,
    clean_country,
    clean_email,
    clean_handle,
    clean_iban,
    clean_phone,
    fold,
)
from tasman.extract.screennames import screen_name
from tasman.link.aliases import (
    MIN_GIVEN,
    alias_tokens,
    block_keys,
    email_country,
    given_keys,
    lone_given,
    name_alias_key,
    name_block_key,
    not_own,
    only_own,
    stated_first_keys,
    token_keys,
)
from tasman.link.blockkeys import COLUMN as BLOCK_KEYS
from tasman.link.blockkeys import add_block_keys
from tasman.link.keys import uid
from tasman.link.nicknames import first_forms
from tasman.link.runin import add_given_keys, add_run_in_keys

PARTICLES = frozenset({"de", "van", "der", "den", "da", "di", "du", "del", "della", "la", "le", "von", "dos",
                       "das", "do", "bin", "binti", "al", "el", "ter", "ten", "y", "e", "mc"})

# the columns a party is made with (``_party``); SCHEMA adds its blocking keys (``blockkeys``)
PARTY_SCHEMA = pa.schema([
    ("uid", pa.int64()), ("kind", pa.string()), ("display_name", pa.string()),
    ("first_name", pa.string()), ("last_name", pa.string()), ("first_forms", pa.list_(pa.string())),
    ("name_tokens", pa.list_(pa.string())), ("name_key", pa.string()),
    ("dob", pa.string()), ("street", pa.string()), ("city", pa.string()), ("postcode", pa.string()),
    ("country", pa.string()),
    ("emails", pa.list_(pa.string())), ("phones", pa.list_(pa.string())), ("handles", pa.list_(pa.string())),
    ("payrefs", pa.list_(pa.string())),
    ("site_handles", pa.list_(pa.string())), ("handle_names", pa.list_(pa.string())), ("handle_name", pa.string()),
    ("alias_full", pa.list_(pa.string())), ("alias_init", pa.list_(pa.string())), ("alias_last", pa.list_(pa.string())),
    ("alias_key", pa.string()), ("alias_first", pa.list_(pa.string())), ("alias_given", pa.list_(pa.string())),
    ("email_countries", pa.list_(pa.string())),
    ("name_block", pa.string()), ("name_block_any", pa.string()),
    ("name_block_swap", pa.string()), ("name_block_swap_any", pa.string()), ("name_block_placeless", pa.string()),
    ("alias_block1", pa.string()), ("alias_block2", pa.string()),
    ("first_block_city", pa.string()), ("first_block_country", pa.string()),
    ("given_block_city", pa.string()), ("given_block_country", pa.string()),
    ("basis", pa.string()),
])
SCHEMA = PARTY_SCHEMA.append(pa.field(BLOCK_KEYS, pa.list_(pa.string())))
COLUMNS = [f.name for f in PARTY_SCHEMA]
_ROW = operator.itemgetter(*COLUMNS)
IDENTIFIER_COLUMNS = ("emails", "phones", "handles", "payrefs")


# Fast paths. Linking a million records cleans a million emails and phones; the shared cleaners
# also compute what linking does not need (line type, region, IDNA forms for exotic domains).
# Each fast path gives exactly the shared cleaner's value for the inputs it accepts (a test
# holds them to that) and hands every other input to the cleaner itself.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_EMAIL = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+"
                          r"[A-Za-z]{2,63}")
_SPECIAL_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


@lru_cache(maxsize=1 << 18)
def _email(raw: str) -> str | None:
    text = raw.strip()
    if (_PLAIN_EMAIL.fullmatch(text) and len(text) <= 254 and text.index("@") <= 64
            and text.rsplit(".", 1)[1].lower() not in _SPECIAL_TLDS):
        return text.lower()
    ident = clean_email(raw)
    return ident.value.lower() if ident else None


def _phone(raw: str, region: str | None) -> str | None:
    if any(c.isalpha() for c in raw):  # extensions, vanity numbers: the cleaner knows them
        ident = clean_phone(raw, region) or (clean_phone(raw, None) if region else None)
        return ident.value if ident else None
    return _phone_digits(re.sub(r"[^0-9+]", "", raw), region)


@lru_cache(maxsize=1 << 18)
def _phone_digits(digits: str, region: str | None) -> str | None:
    for reg in (region, None) if region else (None,):
        try:
            num = phonenumbers.parse(digits, reg)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(num):
            return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    return None


@lru_cache(maxsize=1 << 14)
def _country(raw: str) -> str | None:
    if sum(c.isalpha() for c in raw) < 2:  # blank or punctuation: no country (the cleaner would name one)
        return None
    ident = clean_country(raw)
    return ident.value if ident else None


@lru_cache(maxsize=1 << 18)
def _fold(raw: str) -> str:
    return fold(raw)


@lru_cache(maxsize=1 << 16)
def _handle(raw: str, platform: str | None) -> str | None:
    ident = clean_handle(raw, platform)
    return ident.value if ident else None


_PLAIN_NAME = re.compile(r"@?[A-Za-z][A-Za-z0-9_-]{0,63}")


def _screen(raw: str, platform: str | None, region: str | None) -> tuple[str, str] | None:
    """``(type, value)`` of a username field: an email, a phone, a handle (or a URL: no column).
    A plain name (letters first, no dot, colon, slash or ``@`` inside) can only be a handle."""
    if _PLAIN_NAME.fullmatch(raw.strip()):
        h = _handle(raw, platform)
        return ("handle", h) if h else None
    return _screen_typed(raw, platform, region)


@lru_cache(maxsize=1 << 16)
def _screen_typed(raw: str, platform: str | None, region: str | None) -> tuple[str, str] | None:
    ident = screen_name(raw, platform, region)
    return (str(ident.type), ident.value) if ident is not None else None


# What a party had to link on, for those left alone (the run's figures count them by this).
BASIS = {
    "nothing": "no name and no identifier",
    "screen name, no platform": "only a screen name, without a platform",
    "screen name on a site": "only a screen name on a site's own platform",
    "handle": "only a handle on a known platform",
    "name": "only a name",
    "identifiers": "identifiers but no name",
    "name and identifiers": "a name and identifiers",
}


def _basis(tokens: list[str], strong: bool, known: bool, site: bool, loose: bool) -> str:
    if tokens:
        return "name and identifiers" if strong or known or site or loose else "name"
    if strong:
        return "identifiers"
    if known:
        return "handle"
    if site:
        return "screen name on a site"
    return "screen name, no platform" if loose else "nothing"


_KNOWN = frozenset(PLATFORMS)
_KNOWN_PREFIXES = _KNOWN
_MASKED = re.compile(r"[*x•#]{3,}|ending|last ?4", re.I)


@lru_cache(maxsize=1 << 16)
def payref(raw: str) -> tuple[str | None, str | None]:
    """``(payment reference, email)``: a PayPal-style address is also an email."""
    text = raw.strip()
    if not text or _MASKED.search(text):
        return None, None
    iban = clean_iban(text)
    if iban is not None:
        return f"iban:{iban.value}", None
    if "@" in text:
        email = _email(text)
        return (f"paypal:{email}", email) if email else (None, None)
    compact = re.sub(r"[^0-9A-Za-z]", "", text).upper()
    return (f"ref:{compact}", None) if len(compact) >= 6 and any(c.isdigit() for c in compact) else (None, None)


def name_parts(name: str | None, first: str | None, last: str | None
               ) -> tuple[str | None, str | None, list[str], str | None]:
    """``(first, last, tokens, key)``, all folded; ``key`` ignores order and particles."""
    split = bool(first or last)
    if not split and name and "," in name:
        fam, _, giv = name.partition(",")
        first, last, split = giv, fam, True
    if split:
        given = _fold(first or "").split()
        family = _fold(last or "").split()
    else:
        toks = _fold(name or "").split()
        given, family = toks[:1], toks[1:]
    tokens = [t for t in given + family if t and t not in PARTICLES]
    if not tokens:
        return None, None, [], None
    core = [t for t in family if t not in PARTICLES] or family
    last_tok = (core[0] if split else core[-1]) if core else None
    key_tokens = sorted(set(tokens))
    return (given[0] if given else None), last_tok, tokens, " ".join(key_tokens)


def _opt(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return s or None


_side_field = lru_cache(maxsize=256)(side_field)  # a million transfers ask for the same few names


def _party(record_id: int, kind: str, side: str | None, f: dict[str, Any],
           force: bool = False) -> dict[str, Any] | None:
    """The party of a record (``side`` None) or of one side of a transfer (``sender``,
    ``beneficiary``): its fields are named by the vocabulary (``core.fields.side_field``), and
    what belongs to the record as a whole (its ``stated`` facts, its ``identifiers``) is only a
    one-person record's."""
    def g(base: str) -> str | None:
        return _opt(f.get(_side_field(side, base) if side else base))

    country = _country(c) if (c := g("country")) else None
    said = _stated(f) if side is None else {}
    if country is None and (sc := said.get("country")):
        country = sc
    named = bool(g("name") or g("first_name") or g("last_name"))
    first, last, tokens, key = name_parts(g("name") if named else said.get("name"),
                                          g("first_name"), g("last_name"))
    emails: set[str] = set()
    phones: set[str] = set()
    handles: set[str] = set()
    site_handles: set[str] = set()
    payrefs: set[str] = set()
    if (e := g("email")) and (v := _email(e)):
        emails.add(v)
    if (ph := g("phone")) and (v := _phone(ph, country)):
        phones.add(v)
    for ref_field in ("payment_ref", "account"):
        if (r := g(ref_field)):
            ref, mail = payref(r)
            if ref:
                payrefs.add(ref)
            if mail:
                emails.add(mail)
    handles_any: set[str] = set()
    platform = g("platform")
    if (u := g("username")) and (typed := _screen(u, platform, country)):
        kind_, value = typed
        if kind_ == IdType.EMAIL:
            emails.add(value.lower())
        elif kind_ == IdType.PHONE:
            phones.add(value)
        elif kind_ == IdType.HANDLE:
            handles_any.add(value)
    for item in (f.get("identifiers") or []) if side is None else []:
        if not isinstance(item, dict):
            continue
        t, raw = item.get("type"), _opt(item.get("value")) or _opt(item.get("raw"))
        if raw is None:
            continue
        if t == "email" and (v := _email(raw)):
            emails.add(v)
        elif t == "phone" and (v := _phone(_opt(item.get("raw")) or raw, country)):
            phones.add(v)
        elif t == "handle":
            if raw.count(":") and raw.split(":", 1)[0] in _KNOWN_PREFIXES:
                handles_any.add(raw.casefold())
            elif (v := _handle(_opt(item.get("raw")) or raw, _opt(item.get("platform")))):
                handles_any.add(v)
        elif t == "iban" and (ib := clean_iban(raw)):
            payrefs.add(f"iban:{ib.value}")
        elif t == "paypal" and (v := _email(raw)):
            payrefs.add(f"paypal:{v}")
            emails.add(v)
    for h in handles_any:
        (handles if h.split(":", 1)[0] in _KNOWN else site_handles).add(h)
    dob = g("dob")
    if dob and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", dob):
        dob = None
    city = _fold(c) if (c := g("city") or said.get("city")) else None
    postcode = re.sub(r"\s+", "", pc).upper() if (pc := g("postcode")) else None
    street = _fold(s) if (s := g("street")) else None
    names = sorted({h.split(":", 1)[1] for h in handles | site_handles})
    loose = any(h.startswith(UNKNOWN_PLATFORM + ":") for h in site_handles)
    basis = _basis(tokens, bool(emails or phones or payrefs), bool(handles),
                   any(not h.startswith(UNKNOWN_PLATFORM + ":") for h in site_handles), loose)
    if side is not None and not force and basis == "nothing" and not any(
            field(k).side == side and f[k] not in (None, "") for k in f):
        return None  # a transfer's side that is not given at all
    email_ccs = sorted({cc for e in emails if (cc := email_country(e))})
    forms = first_forms(first) if first else []
    locals_ = [e.rpartition("@")[0] for e in sorted(emails)]  # a set: its order is the process's hash seed's
    none: frozenset[str] = frozenset()
    a_full = a_init = a_last = none
    ablocks: list[str] = []
    place = country or (email_ccs[0] if email_ccs else None)
    if names or locals_:
        atoks = alias_tokens([*names, *locals_])
        if not tokens:
            a_full, a_init, a_last = token_keys(tuple(atoks))
            ablocks = block_keys(atoks, place)
            if (given := said.get("first_name")):  # "I'm Marta" beside kowalska77: kowa+mart
                s_full, s_blocks = stated_first_keys(atoks, given, place)
                a_full = a_full | s_full
                ablocks = list(dict.fromkeys([*s_blocks, *ablocks]))[:2]
        elif not only_own(atoks, [*tokens, *forms]):  # what its own name gives, in any order, says nothing new
            a_full, a_init, a_last = not_own(*token_keys(tuple(atoks)), [*tokens, *forms])
            if len(tokens) == 1:  # a first name alone: its screen names and emails may hold the rest
                ablocks = block_keys(atoks, place)
    swap = len(tokens) > 1 and len(first or "") >= 4  # a first name an alias key can hold (four letters)
    any_key = name_block_key(first, last, None, any_country=True) if len(tokens) > 1 else None
    placeless = any_key.partition("|")[0] if any_key and place is None else None
    # a lone first name: a first-name-only party's own, or one a nameless party states ("I'm Marta");
    # those inside a nameless party's screen names and emails are read with the case's first names
    # (link/runin.py). Met with the same first name in the same place (aliases.given_keys).
    lone: list[str] = [first] if len(tokens) == 1 and first and len(first) >= MIN_GIVEN else (
        [gv] if not tokens and (gv := lone_given(said.get("first_name"))) else [])
    first_city, first_country = given_keys(first if len(tokens) > 1 else None, city, place)
    given_city, given_country = given_keys(lone[0] if lone else None, city, place)
    display = (g("name") or " ".join(x for x in (g("first_name"), g("last_name")) if x)
               or (said.get("name") if tokens else None) or None)
    return {
        "uid": uid(record_id, side or ""), "kind": kind, "display_name": display,
        "first_name": first, "last_name": last, "first_forms": forms or None,
        "name_tokens": tokens or None, "name_key": key, "dob": dob, "street": street or None,
        "city": city or None, "postcode": postcode or None, "country": country,
        "emails": sorted(emails) or None, "phones": sorted(phones) or None, "handles": sorted(handles) or None,
        "payrefs": sorted(payrefs) or None,
        "site_handles": sorted(site_handles) or None, "handle_names": names or None,
        "handle_name": names[0] if names else None,
        "alias_full": sorted(a_full) or None, "alias_init": sorted(a_init) or None,
        "alias_last": sorted(a_last) or None,
        # what another's screen name or email must hold to be read as this party's whole name; its
        # frequency weighs that reading (a common name in a screen name says little)
        "alias_key": name_alias_key(first, last) if len(tokens) > 1 else None,
        "alias_first": None,  # a first name and a last initial run together (link/runin.py)
        "alias_given": lone or None,
        "email_countries": email_ccs or None,
        "name_block": name_block_key(first, last, place) if len(tokens) > 1 else None,
        "name_block_any": any_key,
        "name_block_swap": name_block_key(last, first, place) if swap else None,
        "name_block_swap_any": name_block_key(last, first, None, any_country=True) if swap else None,
        # a named party whose country nothing says meets the nameless parties of every country
        "name_block_placeless": placeless,
        "alias_block1": ablocks[0] if ablocks else None, "alias_block2": ablocks[1] if len(ablocks) > 1 else None,
        "first_block_city": first_city, "first_block_country": first_country,
        "given_block_city": given_city, "given_block_country": given_country,
        "basis": basis,
    }


def _stated(f: dict[str, Any]) -> dict[str, str]:
    """What the person states about themselves in the record's free text (``stated``, from
    ``tasman.extract.statements``): the first full name, first name, place and country. A full
    name is used as a name when the record gives none; a first name alone only completes the name
    in a screen name (``aliases.stated_first_keys``); a place and a country when the record's own
    fields give none."""
    items = f.get("stated")
    if not items or not isinstance(items, list):
        return {}
    out: dict[str, str] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            continue
        kind = item.get("kind")
        if kind == "name" and "name" not in out:
            out["name"] = item["value"]
        elif kind == "first_name" and "first_name" not in out:
            out["first_name"] = item["value"]
        elif kind in ("city", "place") and "city" not in out:
            out["city"] = str(item.get("name") or item.get("raw") or "")
            if isinstance(cc := item.get("country"), str) and "country" not in out:
                out["country"] = cc
        elif kind == "country" and isinstance(cc := item.get("value"), str):
            out.setdefault("country", cc)
    if "name" in out:
        out.setdefault("first_name", out["name"].split()[0])
    return {k: v for k, v in out.items() if v}


def parties(record_id: int, kind: str, fields: dict[str, Any]) -> list[dict[str, Any]]:
    """The normalised parties of one record: one for most kinds, sender and beneficiary for a transfer."""
    if kind == "transactions":
        out = []
        for side in SIDES:
            p = _party(record_id, kind, side, fields)
            if p is not None:
                out.append(p)
        if not out:  # neither side given: the record is still someone's (its sender's)
            out.append(_party(record_id, kind, SIDES[0], fields, force=True) or {})
        return out
    p = _party(record_id, kind, None, fields, force=True)
    return [p] if p is not None else []


def _batch(rows: Iterable[tuple[int, str, Any]]) -> pa.RecordBatch:
    out: list[tuple[Any, ...]] = []
    # tens of thousands of small dicts, lists and tuples, and no cycles among them (about a sixth
    # of normalisation's CPU time at 20,000 records went to the collector); the rows are freed
    # before it is back on
    with collector_paused():
        for rid, kind, fields in rows:
            f = json.loads(fields) if isinstance(fields, (str, bytes)) else fields
            out.extend(_ROW(p) for p in parties(int(rid), kind, f or {}))
        columns = list(zip(*out, strict=True)) if out else [() for _ in COLUMNS]
        del out
        return pa.RecordBatch.from_arrays([pa.array(c, type=t.type) for c, t in zip(columns, PARTY_SCHEMA,
                                                                                     strict=True)],
                                          schema=PARTY_SCHEMA)


def _chunks(rows: Iterable[tuple[int, str, Any]], size: int) -> Iterator[list[tuple[int, str, Any]]]:
    buf: list[tuple[int, str, Any]] = []
    for r in rows:
        buf.append(r)
        if len(buf) >= size:
            yield buf
            buf = []
    if buf:
        yield buf


WORKER_PRELOAD = ("tasman.link.normalise",)   # what the workers need: the cleaners, not the CLI or Splink


def normalise_rows(rows: Iterable[tuple[int, str, Any]], workers: int | None = None,
                   parallel_above: int = 50_000, chunk: int = 20_000, context: pa.Table | None = None) -> pa.Table:
    """A parties table from ``(record_id, kind, fields or fields-JSON)`` rows; big inputs are
    spread over worker processes (each with its own cleaner caches), one pool per call, started
    on the fork server with this module preloaded (``core.procs.ordered_map``): a worker never
    runs the CLI's ``__main__`` again. Batches keep the rows' order. Names run together in the
    screen names and emails of parties known by no name are read last, with the names of the
    whole table, and of ``context`` where given (an incremental run's stored parties: new parties
    are read with the whole case's names, as a full run reads them; ``tasman.link.runin``)."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    batches: list[pa.RecordBatch] = []
    it = iter(rows)
    first = list(_take(it, parallel_above))
    if len(first) < parallel_above or workers <= 1:
        batches.append(_batch(first))
        for part in _chunks(it, chunk):
            batches.append(_batch(part))
        return _keyed(pa.Table.from_batches(batches, schema=PARTY_SCHEMA), context)
    from tasman.core.procs import ordered_map

    def all_chunks() -> Iterator[list[tuple[int, str, Any]]]:
        yield from _chunks(first, chunk)
        yield from _chunks(it, chunk)

    batches.extend(ordered_map(_batch, all_chunks(), workers, preload=WORKER_PRELOAD))
    return _keyed(pa.Table.from_batches(batches, schema=PARTY_SCHEMA), context)


def _keyed(parties: pa.Table, context: pa.Table | None) -> pa.Table:
    """The keys read with the case's names, then the blocking keys of every party (``blockkeys``).
    The collector is paused: the nameless parties' rows and keys are many small lists without
    cycles, and in this process every full collection would traverse all that is alive (about a
    third of the keys' CPU time at 200,000 records)."""
    with collector_paused():
        return add_block_keys(add_given_keys(add_run_in_keys(parties, context), context))


def _take(it: Iterator[tuple[int, str, Any]], n: int) -> Iterator[tuple[int, str, Any]]:
    for _ in range(n):
        try:
            yield next(it)
        except StopIteration:
            return
