"""CSV: one row per identifier of each subject, with the subject's attribution beside it, then one
row per identifier of each money-trail party (``role`` beneficiary or sender, ``subject`` its
key, ``score`` and ``indicators`` filled, sources its transfer records)."""

from __future__ import annotations

import io

from tasman.core import csvsafe
from tasman.refer.exports import ExportSet

COLUMNS = ("case", "subject", "name", "country", "confidence", "conflict", "type", "value", "value_country",
           "sources", "role", "score", "indicators")


def to_csv(es: ExportSet) -> str:
    buf = io.StringIO()
    w = csvsafe.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for s in es.subjects:
        a = s.attribution
        base = [es.case_ref, s.ref, s.name, a.country, "" if a.confidence is None else a.confidence, a.conflict]
        if not s.identifiers:
            w.writerow([*base, "", "", "", "", "subject", "", ""])
        for i in s.identifiers:
            w.writerow([*base, i.type, i.value, i.country or "", ";".join(i.sources), "subject", "", ""])
    for p in es.money_parties:
        base = [es.case_ref, p.key, p.name, p.country, "", ""]
        tail = [";".join(p.records), p.role, p.score, ";".join(r.indicator for r in p.reasons)]
        ids = [("phone", v) for v in p.phones] + [("email", v) for v in p.emails] + [("account", v) for v in p.accounts]
        for typ, value in ids or [("", "")]:
            w.writerow([*base, typ, value, "", *tail])
    return buf.getvalue()
