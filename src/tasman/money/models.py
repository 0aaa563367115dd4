"""Stored results of money analyses: one run per ``tasman money analyse``, with the settings used
and every scored party, so referral packages and the web app read results without recomputing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tasman.core.models import Base, StageRun


class MoneyRun(StageRun, Base):
    """A money analysis (``StageRun``; ``settings``: the MoneyConfig used, for reproduction)."""

    __tablename__ = "money_runs"

    # the run's MoneyReport (tables, chart series, timeline), so the case report shows the run as analysed
    document: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class MoneyParty(Base):
    """A scored sender or beneficiary of one run, with every indicator that fired and why."""

    __tablename__ = "money_parties"
    __table_args__ = (UniqueConstraint("run_id", "role", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("money_runs.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))        # beneficiary | sender
    key: Mapped[str] = mapped_column(String(300))        # the party's smallest strong identifier
    name: Mapped[str] = mapped_column(String(300), default="")
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    transfers: Mapped[int] = mapped_column(Integer, default=0)
    total_usd: Mapped[float] = mapped_column(Float, default=0.0)
    indicators: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)   # name, weight, strength, points, why
    identifiers: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)  # phones, emails, accounts
    subjects: Mapped[list[str]] = mapped_column(JSON, default=list)
    record_refs: Mapped[list[str]] = mapped_column(JSON, default=list)             # "source#source_id"
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # first/last seen, counterparties...
