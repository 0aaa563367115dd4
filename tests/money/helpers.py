"""Small builders for money tests: transfers from a few keyword arguments, benign made-up values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tasman.core.models import Record
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.link.models import Subject, SubjectRecord
from tasman.money.analysis import AnalysisResult, ChatSession, analyse_transfers
from tasman.money.config import MoneyConfig
from tasman.money.importer import import_transactions
from tasman.money.scoring import PartyScore
from tasman.money.transfers import Transfer, to_transfer, zone
from tasman.records.store import store_records
from tasman.synth.transfers import generate_transfers, write_goaml

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
PHONES = {  # valid mobile numbers per country (example ranges)
    "US": "+12015550{:03d}", "AU": "+614123450{:02d}", "GB": "+4474001234{:02d}", "DE": "+4915123456{:03d}",
    "PH": "+6390512345{:02d}", "NZ": "+642112345{:02d}", "SA": "+9665123456{:02d}",
}


def phone(country: str, n: int) -> str:
    return PHONES[country].format(n)


def row(n: int, *, s: tuple[str, str, str], b: tuple[str, str, str], ts: datetime | str | None = None,
        amount: float | str = 50, currency: str = "USD", ref: str = "", **extra: Any) -> dict[str, Any]:
    """``s`` and ``b`` are (name, country, phone)."""
    stamp = ts.isoformat() if isinstance(ts, datetime) else (ts or (T0 + timedelta(days=n)).isoformat())
    fields = {"record_id": f"r{n}", "timestamp": stamp, "amount": str(amount), "currency": currency,
              "reference": ref, "sender_name": s[0], "sender_country": s[1], "sender_phone": s[2],
              "beneficiary_name": b[0], "beneficiary_country": b[1], "beneficiary_phone": b[2]}
    fields.update(extra)
    return fields


def transfers(rows: list[dict[str, Any]], cfg: MoneyConfig | None = None) -> list[Transfer]:
    cfg = cfg or MoneyConfig()
    out = []
    for r in rows:
        t = to_transfer(f"test#{r['record_id']}", None, r, cfg)
        assert isinstance(t, Transfer), t
        out.append(t)
    return out


def analyse(rows: list[dict[str, Any]], cfg: MoneyConfig | None = None, chats: list[ChatSession] = (),  # type: ignore[assignment]
            subject_keys: dict[str, set[str]] | None = None) -> AnalysisResult:
    cfg = cfg or MoneyConfig()
    return analyse_transfers(transfers(rows, cfg), cfg, chats=chats, subject_keys=subject_keys)


def bene(result: AnalysisResult, name: str) -> PartyScore:
    return next(b for b in result.beneficiaries if b.profile.party.name == name)


def sender(result: AnalysisResult, name: str) -> PartyScore:
    return next(s for s in result.senders if s.profile.party.name == name)


def fired(ps: PartyScore) -> set[str]:
    return {s.hit.indicator for s in ps.hits}


def facilitator_rows(n_senders: int = 4, per_sender: int = 3, night: bool = True, ref: str = "school",
                     amount: float = 50, start: int = 0) -> list[dict[str, Any]]:
    """Unrelated senders in several countries paying one beneficiary in PH, small and often."""
    out = []
    fac = ("Maria Lintam", "PH", phone("PH", 1))
    countries = ["US", "AU", "GB", "DE"]
    k = start
    for i in range(n_senders):
        c = countries[i % len(countries)]
        s = (f"Sen{i} Fam{i}", c, phone(c, 10 + i))
        for j in range(per_sender):
            k += 1
            day = T0 + timedelta(days=2 * j + i)
            # 23:30 local time of the sender's zone when night, else 14:00
            tzname = {"US": "America/New_York", "AU": "Australia/Sydney", "GB": "Europe/London",
                      "DE": "Europe/Berlin"}[c]
            local = day.astimezone(zone(tzname)).replace(hour=23 if night else 14, minute=30)
            out.append(row(k, s=s, b=fac, ts=local.astimezone(UTC), amount=amount, ref=ref))
    return out


def store_case(ws: Workspace, tmp_path: Path) -> None:
    """Case C1: a facilitator paid by 4 senders (goAML) among generated noise, one chat session
    per facilitator transfer, and two subjects S-000001 and S-000002 holding the chat records
    (and phones) of senders 0 and 1, as linking would make them."""
    rows = facilitator_rows(n_senders=4, per_sender=3)
    noise = generate_transfers(40, seed=4, facilitator_share=0.0, family_share=0.3)
    for i, r in enumerate(noise.transfers):
        r["record_id"] = f"n{i}"
    report = write_goaml(rows + noise.transfers, tmp_path / "str.xml")
    chats = [(f"c{i}", {"timestamp": r["timestamp"], "phone": r["sender_phone"], "name": r["sender_name"],
                        "country": r["sender_country"]}) for i, r in enumerate(rows)]
    with ws.session() as s:
        create_case(s, "t", "C1")
    with ws.session() as s:
        summary = import_transactions(s, "t", "C1", report, "goaml")
        assert summary.added == len(rows) + len(noise.transfers) and not summary.warnings
        store_records(s, "t", "C1", "chats", "chats.jsonl", chats)
    with ws.session() as s:
        recs = {r.source_id: r.id for r in s.scalars(select(Record).where(Record.source == "chats.jsonl"))}
        for n, chat_id in enumerate(("c0", "c3"), 1):
            phone_ = dict(chats)[chat_id]["phone"]
            subj = Subject(case_id=1, ref=f"S-{n:06d}", name=f"subject {n}", identifiers={"phones": [phone_]})
            s.add(subj)
            s.flush()
            s.add(SubjectRecord(subject_id=subj.id, record_id=recs[chat_id]))
