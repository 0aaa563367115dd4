"""Files of a money analysis: beneficiaries.csv, senders.csv, timeline.csv, money.html (with its
JSON document) and the transfer graph as GraphML for Gephi-like tools. Never media."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import networkx as nx
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from tasman.core import csvsafe
from tasman.money.document import MoneyReport, Party, TimelineEvent
from tasman.money.svg import amounts_chart

BENEFICIARY_COLUMNS = ("rank", "key", "name", "country", "score", "alerted", "indicators", "reasons", "transfers",
                       "total_usd", "first_seen", "last_seen", "senders", "subject_payers", "subjects", "phones",
                       "accounts", "emails")
SENDER_COLUMNS = ("rank", "key", "name", "country", "score", "alerted", "indicators", "reasons", "transfers",
                  "total_usd", "first_seen", "last_seen", "beneficiaries", "subjects", "phones", "accounts", "emails")
TIMELINE_COLUMNS = ("ts", "kind", "who", "summary", "ref", "minutes_to_chat")


def _row(p: Party) -> dict[str, object]:
    return {"rank": p.rank, "key": p.key, "name": p.name, "country": p.country or "", "score": p.score,
            "alerted": "yes" if p.alerted else "no", "indicators": ";".join(p.indicator_names),
            "reasons": " | ".join(p.reason_lines()), "transfers": p.transfers, "total_usd": p.total_usd,
            "first_seen": p.first_seen or "", "last_seen": p.last_seen or "", "senders": p.counterparties,
            "beneficiaries": p.counterparties, "subject_payers": p.subject_payers, "subjects": ";".join(p.subjects),
            "phones": ";".join(p.phones), "accounts": ";".join(p.accounts), "emails": ";".join(p.emails)}


def write_parties_csv(path: Path, parties: list[Party], columns: tuple[str, ...]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csvsafe.writer(fh)
        w.writerow(columns)
        for p in parties:
            row = _row(p)
            w.writerow([row[c] for c in columns])


def write_timeline_csv(path: Path, events: tuple[TimelineEvent, ...]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csvsafe.writer(fh)
        w.writerow(TIMELINE_COLUMNS)
        for e in events:
            w.writerow([getattr(e, c) for c in TIMELINE_COLUMNS])


def write_graph(path: Path, graph: nx.DiGraph) -> None:
    nx.write_graphml(graph, path)


_env = Environment(loader=PackageLoader("tasman.money", "templates"), autoescape=select_autoescape(["html"]))


@dataclass(frozen=True)
class _Card:
    party: Party
    svg: Markup


def render_section(doc: MoneyReport) -> Markup:
    """The money section (``<section id="money">``) the case report and ``money.html`` share: one
    chart of the top beneficiaries together, then one per beneficiary beside its score and
    indicators, the ranked tables with every reason, the timeline and the weights."""
    by_key = {p.key: p for p in doc.beneficiaries}
    cards = [_Card(by_key[s.key], Markup(amounts_chart((s,), width=440, height=200, legend=False, first_colour=i)))
             for i, s in enumerate(doc.chart) if s.key in by_key]
    return Markup(_env.get_template("money_section.html").render(r=doc, chart=Markup(amounts_chart(doc.chart)),
                                                                 cards=cards))


def render_html(doc: MoneyReport) -> str:
    return _env.get_template("money.html").render(r=doc, section=render_section(doc))
