"""Customer and order lists: CSV, TSV or XLSX with any column names, through a mapping."""

from __future__ import annotations

from tasman.core.fields import IDENTIFYING_FIELDS
from tasman.records.importers.table import TableImporter


class CustomersImporter(TableImporter):
    kind = "customers"
    description = "order or customer lists (CSV/TSV/XLSX) through a column mapping"
    identifying = IDENTIFYING_FIELDS
    country_field = "country"
