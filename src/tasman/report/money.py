"""The case report's money trails, collapsed per beneficiary: one ``<details>`` line each (rank,
name, country, score, alert, transfers, USD) that opens onto its chart, reasons and its own part of
the timeline (its transfers, and the chats and triage hits of those who paid it). The money stage's
own ``money.html`` keeps its full view; this is the reading order of a report of the whole case.

Guarantee: every timeline event of the analysis appears once, under the beneficiary it belongs
to or, when it belongs to none shown, under "other events"; nothing is dropped in silence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jinja2 import Environment
from markupsafe import Markup

from tasman.money.document import MoneyReport, Party, TimelineEvent
from tasman.money.svg import amounts_chart


@dataclass(frozen=True)
class BeneficiaryFold:
    party: Party
    chart: Markup | None                # its own chart, when it is among the charted top beneficiaries
    events: list[TimelineEvent] = field(default_factory=list)


def _is_transfer_to(e: TimelineEvent, p: Party, refs: set[str]) -> bool:
    """The timeline names a transfer's beneficiary in its summary (``... to NAME (CC) 'reference'``);
    its record ref is in the party's ``record_refs`` unless the party has more than those hold."""
    return e.kind == "transfer" and (e.ref in refs or f" to {p.name or p.key} ({p.country or '?'}) " in e.summary)


def fold(doc: MoneyReport) -> tuple[list[BeneficiaryFold], list[TimelineEvent]]:
    """Each beneficiary with its chart and events, and the events that belong to none of them."""
    colour = {s.key: i for i, s in enumerate(doc.chart)}
    series = {s.key: s for s in doc.chart}
    left = list(doc.timeline)
    folds = []
    for p in doc.beneficiaries:
        refs = set(p.record_refs)
        mine = [e for e in left if _is_transfer_to(e, p, refs)]
        payers = {e.who for e in mine}
        mine += [e for e in left if e.kind != "transfer" and e.who in payers]
        taken = {id(e) for e in mine}
        left = [e for e in left if id(e) not in taken]
        chart = Markup(amounts_chart((series[p.key],), width=440, height=200, legend=False,
                                     first_colour=colour[p.key])) if p.key in series else None
        folds.append(BeneficiaryFold(party=p, chart=chart, events=sorted(mine, key=lambda e: (e.ts, e.kind, e.ref))))
    return folds, left


def render(env: Environment, doc: MoneyReport) -> Markup:
    folds, other = fold(doc)
    return Markup(env.get_template("money.html").render(r=doc, chart=Markup(amounts_chart(doc.chart)),
                                                        folds=folds, other=other))
