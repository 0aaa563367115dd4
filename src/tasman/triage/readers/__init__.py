"""Evidence readers: folders, archives and disk images, yielding every file with its ``!/`` path.

Public API: :func:`iter_entries`, :func:`read_member`, :class:`Entry`, :class:`Limits` (and the
run-wide :class:`Budget` it sets). Adding a
format means one :class:`Reader` subclass and one line in ``walk.reader_for``.
"""

from tasman.triage.readers.base import Budget, BudgetSpent, Entry, Limits, OnError, Reader, ReaderError
from tasman.triage.readers.walk import iter_entries, read_member, reader_for

__all__ = ["Budget", "BudgetSpent", "Entry", "Limits", "OnError", "Reader", "ReaderError", "iter_entries",
           "read_member", "reader_for"]
