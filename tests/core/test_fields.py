"""The record field vocabulary as typed data (core.fields): what each field is, read by every stage."""

from __future__ import annotations

import pytest

from tasman.core.fields import (
    DATE_FIELDS,
    IDENTIFYING_TRANSACTION_FIELDS,
    PERSON_FIELDS,
    TRANSACTION_FIELDS,
    country_field,
    field,
    side_field,
)
from tasman.core.models import Record
from tasman.extract.records import scan_record


def test_every_field_knows_its_side_base_and_type() -> None:
    phone = field("beneficiary_phone")
    assert (phone.side, phone.base, phone.identifier, phone.identifying) == ("beneficiary", "phone", "phone", True)
    assert field("username").identifier == "handle" and field("username").side is None
    assert field("sender_account").identifier == "payment" and field("payment_ref").identifier == "payment"
    assert field("dob").value == "date" and "sender_dob" in DATE_FIELDS
    assert len(set(PERSON_FIELDS)) == len(PERSON_FIELDS) and len(set(TRANSACTION_FIELDS)) == len(TRANSACTION_FIELDS)
    assert set(IDENTIFYING_TRANSACTION_FIELDS) <= set(TRANSACTION_FIELDS)
    assert all(field(n).side is None for n in PERSON_FIELDS)


def test_a_name_outside_the_vocabulary_is_typed_by_the_person_field_it_names() -> None:
    assert field("sender_ip").identifier == "ip" and field("sender_ip").side == "sender"
    assert field("notes").identifier is None and field("notes").side is None
    assert field("beneficiary_notes").side == "beneficiary" and field("beneficiary_notes").identifier is None
    assert side_field("sender", "phone") == "sender_phone" and country_field(None) == "country"
    assert country_field("beneficiary") == "beneficiary_country"
    with pytest.raises(ValueError):
        side_field("payer", "phone")


def test_extraction_types_a_sides_fields_by_the_vocabulary() -> None:
    rec = Record(id=1, kind="transactions", fields={
        "sender_ip": "203.0.113.9", "beneficiary_phone": "0917 123 4567", "beneficiary_country": "PH",
        "sender_country": "DE", "reference": "for school"})
    found = {(s.found.identifier.type, s.found.identifier.value, s.message_id) for s in scan_record(rec)}
    assert ("ip", "203.0.113.9", "sender_ip") in found
    assert ("phone", "+639171234567", "beneficiary_phone") in found   # the beneficiary's own country
