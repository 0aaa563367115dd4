"""Parties: what a link joins. A record of most kinds describes one person; a transfer
describes two (its sender and its beneficiary), who may be different subjects.

A party key is text for people and decisions (``"123"``, ``"123:sender"``,
``"123:beneficiary"``: the record's database id and the role) and an integer for the engine
(``record_id * 4 + role index``), so a million parties join as integers.
"""

from __future__ import annotations

from tasman.core.errors import InputError

ROLES = ("", "sender", "beneficiary")
_INDEX = {r: i for i, r in enumerate(ROLES)}


def uid(record_id: int, role: str = "") -> int:
    return record_id * 4 + _INDEX[role]


def from_uid(value: int) -> tuple[int, str]:
    return int(value) // 4, ROLES[int(value) % 4]


def party_key(record_id: int, role: str = "") -> str:
    return f"{record_id}:{role}" if role else str(record_id)


def parse_party_key(key: str) -> tuple[int, str]:
    rid, _, role = str(key).partition(":")
    if not rid.isdigit() or role not in _INDEX:
        raise InputError(f"not a party key: {key!r} (expected RECORD_ID or RECORD_ID:sender|beneficiary)")
    return int(rid), role


def key_of_uid(value: int) -> str:
    return party_key(*from_uid(value))


def uid_of_key(key: str) -> int:
    return uid(*parse_party_key(key))
