"""CSV: one row per identifier of each subject, with the subject's attribution beside it."""

from __future__ import annotations

import csv
import io

from tasman.refer.exports import ExportSet

COLUMNS = ("case", "subject", "name", "country", "confidence", "conflict", "type", "value", "value_country",
           "sources")


def to_csv(es: ExportSet) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for s in es.subjects:
        a = s.attribution
        base = [es.case_ref, s.ref, s.name, a.country, "" if a.confidence is None else a.confidence, a.conflict]
        if not s.identifiers:
            w.writerow([*base, "", "", "", ""])
        for i in s.identifiers:
            w.writerow([*base, i.type, i.value, i.country or "", ";".join(i.sources)])
    return buf.getvalue()
