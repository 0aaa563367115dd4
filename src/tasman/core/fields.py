"""The field vocabulary every importer maps onto (documented in docs/records.md), as typed data.

It lives in core because every stage reads records by it: the importers (``records``) map
sources onto it, extraction types a field's values by it, linking and refer tell a transfer's
sides by it, money names the fields it reads. None works a field's meaning out from its name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

KINDS = ("customers", "chats", "tips", "transactions")
SIDES = ("sender", "beneficiary")       # the two persons of a transfer


@dataclass(frozen=True)
class Field:
    """One field of the vocabulary, as data: what later stages need to know of it, so that none
    works it out from the field's name.

    ``base``: the field without its transfer side (``phone`` for ``sender_phone``); ``side``:
    ``sender``, ``beneficiary``, or None for a field of the record as a whole; ``identifier``:
    the identifier type its values are (``email``, ``phone``, ``ip``, ``payment``, ``country``,
    ``city``, ``handle``: a screen name, read with the record's ``platform``), or None;
    ``value``: how it is stored (``text``, ``date`` YYYY-MM-DD, ``timestamp`` ISO 8601 (UTC
    when the source gives a zone), ``number`` a decimal string with a dot); ``identifying``:
    whether a row without any identifying field is not worth keeping."""

    name: str
    base: str
    side: str | None = None
    identifier: str | None = None
    value: str = "text"
    identifying: bool = False


def _f(name: str, identifier: str | None = None, value: str = "text", identifying: bool = False) -> Field:
    side = next((s for s in SIDES if name.startswith(s + "_")), None)
    base = name[len(side) + 1:] if side else name
    return Field(name, base, side, identifier, value, identifying)


# customers / chats / tips: one person-like record
PERSON_VOCABULARY = (
    _f("record_id"), _f("name", identifying=True), _f("first_name", identifying=True),
    _f("last_name", identifying=True), _f("email", "email", identifying=True),
    _f("phone", "phone", identifying=True), _f("username", "handle", identifying=True), _f("platform"),
    _f("street"), _f("city", "city"), _f("region"), _f("postcode"), _f("country", "country"),
    _f("ip", "ip", identifying=True), _f("dob", value="date"), _f("timestamp", value="timestamp"),
    _f("payment_method"), _f("payment_ref", "payment", identifying=True), _f("amount", value="number"),
    _f("currency"),
)


def _side(side: str) -> tuple[Field, ...]:
    return (
        _f(f"{side}_name", identifying=True), _f(f"{side}_phone", "phone", identifying=True),
        _f(f"{side}_email", "email", identifying=True), _f(f"{side}_account", "payment", identifying=True),
        _f(f"{side}_city", "city"), _f(f"{side}_country", "country"),
    )


def _side_more(side: str) -> tuple[Field, ...]:
    # added with the records importers: what transfer offices and goAML reports also give
    return _f(f"{side}_dob", value="date"), _f(f"{side}_street"), _f(f"{side}_postcode")


# transactions: one money transfer (sender -> beneficiary)
TRANSACTION_VOCABULARY = (
    _f("record_id"), _f("timestamp", value="timestamp"), _f("amount", value="number"), _f("currency"),
    _f("reference"), _f("channel"), *_side("sender"), *_side("beneficiary"),
    *_side_more("sender"), *_side_more("beneficiary"),
)

VOCABULARY: dict[str, Field] = {f.name: f for f in (*PERSON_VOCABULARY, *TRANSACTION_VOCABULARY)}

_PERSON = {f.name: f for f in PERSON_VOCABULARY}
PERSON_FIELDS = tuple(f.name for f in PERSON_VOCABULARY)
TRANSACTION_FIELDS = tuple(f.name for f in TRANSACTION_VOCABULARY)

# Beside the flat fields above, a record may carry:
IDENTIFIERS = "identifiers"  # list of {"type", "value", "raw", ...}: every identifier when a record has several
EXTRA = "extra"              # dict: kind-specific detail kept as given (tip incident and files, chat counts)
STATED = "stated"            # list of {"kind", "value", "raw", "pattern", "message" | "where", ...}: what the
                             # person says about themselves in free text (tasman.extract.statements)

DATE_FIELDS = tuple(f.name for f in VOCABULARY.values() if f.value == "date")
TIMESTAMP_FIELDS = tuple(f.name for f in VOCABULARY.values() if f.value == "timestamp")
NUMBER_FIELDS = tuple(f.name for f in VOCABULARY.values() if f.value == "number")

# What identifies a person well enough that a row without any of it is not worth keeping
IDENTIFYING_FIELDS = tuple(f.name for f in PERSON_VOCABULARY if f.identifying)
IDENTIFYING_TRANSACTION_FIELDS = tuple(f.name for f in TRANSACTION_VOCABULARY if f.identifying)


def fields_for(kind: str) -> tuple[str, ...]:
    return TRANSACTION_FIELDS if kind == "transactions" else PERSON_FIELDS


def field(name: str) -> Field:
    """The vocabulary's field of that name. A name outside it (a source's own column kept as
    given) is plain text of the whole record, or, with a side's prefix, of that side, typed as
    the person field it names (``sender_ip`` as ``ip``)."""
    if name in VOCABULARY:
        return VOCABULARY[name]
    f = _f(name)
    person = _PERSON.get(f.base) if f.side else None
    return replace(f, identifier=person.identifier, value=person.value) if person else f


def side_field(side: str, base: str) -> str:
    """The name of a transfer side's field: ``side_field("sender", "phone")`` is ``sender_phone``."""
    if side not in SIDES:
        raise ValueError(f"not a transfer side: {side!r}")
    return f"{side}_{base}"


def country_field(side: str | None) -> str:
    """Where the country of a side (or of the whole record) is kept."""
    return side_field(side, "country") if side else "country"
