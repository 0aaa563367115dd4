from __future__ import annotations

import pytest

from tasman.core.errors import InputError
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.records.store import store_records


def test_store_is_idempotent_and_counts_changes(ws: Workspace) -> None:
    with ws.session() as s:
        create_case(s, "t", "C1")
    rows = [("1", {"name": "Ann"}), ("2", {"name": "Bo"})]
    with ws.session() as s:
        first = store_records(s, "t", "C1", "customers", "orders.csv", rows)
    with ws.session() as s:
        again = store_records(s, "t", "C1", "customers", "orders.csv", rows)
    with ws.session() as s:
        changed = store_records(s, "t", "C1", "customers", "orders.csv", [("2", {"name": "Bob"})])
    assert (first.added, again.unchanged, changed.updated) == (2, 2, 1)
    with pytest.raises(InputError, match="unknown record kind 'emails'"), ws.session() as s:
        store_records(s, "t", "C1", "emails", "x", [])
