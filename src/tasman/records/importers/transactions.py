"""Money-transfer records (sender -> beneficiary) from a CSV, TSV or XLSX table through a mapping.

Other transfer formats (goAML XML, bank statements) are parsed elsewhere and stored with
:func:`tasman.records.store.store_records` under the same vocabulary.
"""

from __future__ import annotations

from tasman.core.fields import IDENTIFYING_TRANSACTION_FIELDS
from tasman.records.importers.table import TableImporter


class TransactionsImporter(TableImporter):
    kind = "transactions"
    description = "money transfers (CSV/TSV/XLSX) through a column mapping"
    identifying = IDENTIFYING_TRANSACTION_FIELDS
    country_field = "sender_country"
