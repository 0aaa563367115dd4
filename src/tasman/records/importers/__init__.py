"""Importers by record kind: adding a kind means adding one module and one line here."""

from __future__ import annotations

from tasman.core.errors import InputError
from tasman.records.importers.base import Importer, Options, Parsed
from tasman.records.importers.chats import ChatsImporter
from tasman.records.importers.customers import CustomersImporter
from tasman.records.importers.tips import TipsImporter
from tasman.records.importers.transactions import TransactionsImporter

IMPORTERS: dict[str, type[Importer]] = {
    cls.kind: cls for cls in (CustomersImporter, ChatsImporter, TipsImporter, TransactionsImporter)
}


def importer_for(kind: str) -> Importer:
    try:
        return IMPORTERS[kind]()
    except KeyError:
        raise InputError(f"unknown record kind {kind!r}: use one of {', '.join(IMPORTERS)}") from None


__all__ = ["IMPORTERS", "Importer", "Options", "Parsed", "importer_for"]
