"""Transaction readers by stable name; a new format is one module and one line here."""

from __future__ import annotations

from tasman.core.errors import InputError
from tasman.money.readers.bank_csv import BankCsvReader
from tasman.money.readers.base import ReadOptions, ReadResult, TransactionReader
from tasman.money.readers.goaml import GoAmlReader

READERS: dict[str, TransactionReader] = {r.name: r for r in (GoAmlReader(), BankCsvReader())}


def get_reader(name: str) -> TransactionReader:
    try:
        return READERS[name]
    except KeyError:
        raise InputError(f"unknown transaction format {name!r}: use one of {', '.join(READERS)}") from None


__all__ = ["READERS", "ReadOptions", "ReadResult", "TransactionReader", "get_reader"]
