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
)
