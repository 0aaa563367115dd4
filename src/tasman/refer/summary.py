"""The operation summary: per country, packages sent and what came back.

Counts are of distinct subjects and money-trail parties (outcome reports name either): one
counts as acknowledged once any outcome arrived for it, as arrested once an ``arrested`` outcome
arrived, and so on. ``subjects`` and ``money_parties`` count those referred. Children safeguarded
is the sum over them of the latest reported count for each (a later report corrects an earlier).
"""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core import audit, csvsafe
from tasman.core.timeutil import iso, utcnow
from tasman.evidence import get_case
from tasman.refer.models import Outcome, OutcomeReport, ReferralPackage
from tasman.refer.outcomes import package_refs

COLUMNS = ("country", "agency", "packages", "latest_version", "subjects", "acknowledged", "investigations",
           "searches", "arrested", "charged", "convicted", "children_safeguarded", "no_further_action",
           "money_parties")  # last: columns added later go at the end, so CSV readers keep their positions
_STATUS_COL = {"investigation_opened": "investigations", "search_executed": "searches", "arrested": "arrested",
               "charged": "charged", "convicted": "convicted", "no_further_action": "no_further_action"}


class SummaryRow(BaseModel):
    model_config = ConfigDict(frozen=True)
    country: str
    agency: str
    packages: int
    latest_version: int
    subjects: int
    money_parties: int = 0
    acknowledged: int
    investigations: int
    searches: int
    arrested: int
    charged: int
    convicted: int
    children_safeguarded: int
    no_further_action: int


class Summary(BaseModel):
    model_config = ConfigDict(frozen=True)
    case_ref: str
    generated_at: str
    rows: list[SummaryRow]
    total: SummaryRow


def build_summary(session: Session, actor: str, case_ref: str) -> Summary:
    case = get_case(session, case_ref)
    pkgs = list(session.scalars(select(ReferralPackage).where(ReferralPackage.case_id == case.id)))
    outcomes = session.execute(select(Outcome, OutcomeReport.sequence).join(OutcomeReport)
                               .where(Outcome.case_id == case.id)
                               .order_by(Outcome.on, OutcomeReport.sequence, Outcome.id)).all()
    per: dict[str, dict[str, Any]] = defaultdict(lambda: {"agency": "", "packages": 0, "latest_version": 0,
                                                          "subjects": set(), "money_parties": set()})
    for p in pkgs:
        d = per[p.country]
        d["packages"] += 1
        if p.version >= d["latest_version"]:
            d["latest_version"], d["agency"] = p.version, p.agency
        d["subjects"] |= set(p.subjects)
        d["money_parties"] |= package_refs(p.document) - set(p.subjects)
    status: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    children: dict[str, dict[str, int]] = defaultdict(dict)
    for o, _seq in outcomes:
        status[o.country]["acknowledged"].add(o.subject_ref)
        col = _STATUS_COL.get(o.status)
        if col:
            status[o.country][col].add(o.subject_ref)
        if o.children_safeguarded is not None:
            children[o.country][o.subject_ref] = o.children_safeguarded
    rows = []
    for cc in sorted(per):
        d, st = per[cc], status[cc]
        rows.append(SummaryRow(country=cc, agency=d["agency"], packages=d["packages"],
                               latest_version=d["latest_version"], subjects=len(d["subjects"]),
                               money_parties=len(d["money_parties"]),
                               acknowledged=len(st["acknowledged"]),
                               **{c: len(st[c]) for c in _STATUS_COL.values()},
                               children_safeguarded=sum(children[cc].values())))
    nums = [c for c in COLUMNS if c not in ("country", "agency", "latest_version")]
    total = SummaryRow(country="ALL", agency=f"{len(rows)} countries",
                       latest_version=max([0, *(r.latest_version for r in rows)]),
                       **{c: sum(getattr(r, c) for r in rows) for c in nums})
    audit.record(session, actor, "summary.build", case_ref=case_ref, countries=len(rows))
    return Summary(case_ref=case_ref, generated_at=iso(utcnow()), rows=rows, total=total)


def to_csv(s: Summary) -> str:
    buf = io.StringIO()
    w = csvsafe.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in [*s.rows, s.total]:
        w.writerow([getattr(r, c) for c in COLUMNS])
    return buf.getvalue()


SERIES = (("subjects", "referred", "#6b7280"), ("acknowledged", "acknowledged", "#2563eb"),
          ("arrested", "arrested", "#dc2626"), ("children_safeguarded", "children safeguarded", "#16a34a"))


def chart_svg(s: Summary, width: int = 720) -> str:
    """Grouped bars per country, drawn from the data: no library, no script, no CDN."""
    from html import escape

    rows = s.rows or []
    peak = max([1, *(getattr(r, k) for r in rows for k, _, _ in SERIES)])
    top = -(-peak // 4) * 4  # a multiple of 4, so the 5 gridlines fall on whole numbers
    left, bottom, height, legend = 48, 36, 260, 24
    group = max(40, (width - left - 10) // max(1, len(rows)))
    bar = max(6, (group - 14) // len(SERIES))
    w = left + group * max(1, len(rows)) + 10
    h = height + bottom + legend
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
             f'role="img" aria-label="Referrals and outcomes per country" font-family="sans-serif" font-size="11">']
    for k in range(5):
        v = top * k / 4
        y = legend + height - height * k / 4
        parts.append(f'<line x1="{left}" x2="{w - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:.0f}</text>')
    for i, r in enumerate(rows):
        x0 = left + i * group + 7
        for j, (key, label, color) in enumerate(SERIES):
            v = getattr(r, key)
            bh = height * v / top
            parts.append(f'<rect x="{x0 + j * bar}" y="{legend + height - bh:.1f}" width="{bar - 1}" '
                         f'height="{bh:.1f}" fill="{color}"><title>{escape(r.country)} {label}: {v}</title></rect>')
        parts.append(f'<text x="{x0 + bar * len(SERIES) / 2:.1f}" y="{legend + height + 16}" '
                     f'text-anchor="middle">{escape(r.country)}</text>')
    for j, (_key, label, color) in enumerate(SERIES):
        parts.append(f'<rect x="{left + j * 150}" y="4" width="10" height="10" fill="{color}"/>'
                     f'<text x="{left + j * 150 + 14}" y="13">{label}</text>')
    parts.append("</svg>")
    return "".join(parts)


_env = Environment(loader=PackageLoader("tasman.refer", "templates"), autoescape=select_autoescape(["html"]))


def to_html(s: Summary) -> str:
    from markupsafe import Markup

    return _env.get_template("summary.html").render(s=s, columns=COLUMNS, chart=Markup(chart_svg(s)))
