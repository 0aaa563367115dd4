"""Deterministic rules: parties sharing a strong identifier (email, phone, payment reference,
handle on one platform) are the same person, unless the identifier is shared so widely that
it says nothing (a shop's own address typed into every order, a family phone)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from tasman.link.backends.base import Backend
from tasman.link.settings import DETERMINISTIC, LinkSettings


def deterministic_edges(backend: Backend, settings: LinkSettings, parties: str = "parties") -> dict[str, Any]:
    """Create table ``det_edges(a, b, why)``: one edge from each party to the first party holding
    the same identifier (a star per identifier is enough to join them all); ``why`` lists the
    identifiers shared. Returns counts and the identifiers left out as too common."""
    cols = [c for c in settings.deterministic if c in DETERMINISTIC]
    if not cols:
        backend.load("det_edges", pa.table({"a": pa.array([], pa.int64()), "b": pa.array([], pa.int64()),
                                            "why": pa.array([], pa.list_(pa.string()))}))
        return {"identifiers": 0, "edges": 0, "too_common": []}
    union = " UNION ALL ".join(
        f"SELECT uid, '{c}' AS kind, unnest({c}) AS value FROM {parties} WHERE {c} IS NOT NULL" for c in cols)
    backend.create("det_ids", f"SELECT DISTINCT uid, kind, value FROM ({union})")
    backend.create("det_groups", """
        SELECT kind, value, min(uid) AS root, count(*) AS n FROM det_ids GROUP BY kind, value HAVING count(*) >= 2
    """)
    # sorting 'kind=value' sorts by kind, then value: no kind is the start of another
    backend.create("det_edges", f"""
        SELECT g.root AS a, i.uid AS b, list_sort(list(i.kind || '=' || i.value)) AS why
        FROM det_ids i JOIN det_groups g ON i.kind = g.kind AND i.value = g.value
        WHERE g.n <= {int(settings.max_group)} AND i.uid <> g.root
        GROUP BY g.root, i.uid
    """)
    common = backend.query(f"""
        SELECT kind, value, n FROM det_groups WHERE n > {int(settings.max_group)} ORDER BY n DESC, kind, value LIMIT 20
    """).to_pylist()
    counts = backend.query("SELECT (SELECT count(*) FROM det_ids) AS ids, (SELECT count(*) FROM det_edges) AS edges"
                           ).to_pylist()[0]
    backend.drop("det_ids")
    return {"identifiers": counts["ids"], "edges": counts["edges"],
            "too_common": [{"kind": DETERMINISTIC[r["kind"]], "value": r["value"], "parties": r["n"]}
                           for r in common]}
