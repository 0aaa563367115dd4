"""The field vocabulary every importer maps onto (documented in docs/records.md)."""

from __future__ import annotations

KINDS = ("customers", "chats", "tips", "transactions")

# customers / chats / tips: one person-like record
PERSON_FIELDS = (
    "record_id", "name", "first_name", "last_name", "email", "phone", "username", "platform",
    "street", "city", "region", "postcode", "country", "ip", "dob", "timestamp",
    "payment_method", "payment_ref", "amount", "currency",
)

# transactions: one money transfer (sender -> beneficiary)
TRANSACTION_FIELDS = (
    "record_id", "timestamp", "amount", "currency", "reference", "channel",
    "sender_name", "sender_phone", "sender_email", "sender_account", "sender_city", "sender_country",
    "beneficiary_name", "beneficiary_phone", "beneficiary_email", "beneficiary_account",
    "beneficiary_city", "beneficiary_country",
    # added with the records importers: what transfer offices and goAML reports also give
    "sender_dob", "sender_street", "sender_postcode",
    "beneficiary_dob", "beneficiary_street", "beneficiary_postcode",
)

# Beside the flat fields above, a record may carry:
IDENTIFIERS = "identifiers"  # list of {"type", "value", "raw", ...}: every identifier when a record has several
EXTRA = "extra"              # dict: kind-specific detail kept as given (tip incident and files, chat counts)
STATED = "stated"            # list of {"kind", "value", "raw", "pattern", "message" | "where", ...}: what the
                             # person says about themselves in free text (tasman.extract.statements)

DATE_FIELDS = ("dob", "sender_dob", "beneficiary_dob")  # stored as YYYY-MM-DD
TIMESTAMP_FIELDS = ("timestamp",)      # stored as ISO 8601 (UTC when the source gives a zone)
NUMBER_FIELDS = ("amount",)            # stored as a decimal string with a dot

# What identifies a person well enough that a row without any of it is not worth keeping
IDENTIFYING_FIELDS = ("name", "first_name", "last_name", "email", "phone", "username", "payment_ref", "ip")
IDENTIFYING_TRANSACTION_FIELDS = (
    "sender_name", "sender_phone", "sender_email", "sender_account",
    "beneficiary_name", "beneficiary_phone", "beneficiary_email", "beneficiary_account",
)


def fields_for(kind: str) -> tuple[str, ...]:
    return TRANSACTION_FIELDS if kind == "transactions" else PERSON_FIELDS
