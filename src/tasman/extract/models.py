"""Observations: one identifier seen once, with where it was seen and who found it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tasman.core.models import Base, StageRun, UTCDateTime


class Observation(Base):
    __tablename__ = "observations"
    __table_args__ = (
        Index("ix_observations_case_type_value", "case_id", "type", "value"),
        UniqueConstraint("case_id", "key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    type: Mapped[str] = mapped_column(String(16))          # tasman.extract.identifiers.IdType
    value: Mapped[str] = mapped_column(Text)                # normalised
    raw: Mapped[str] = mapped_column(Text)                  # as found
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    # where: an artifact of the evidence (by its !/ path), or an imported record
    artifact_id: Mapped[int | None] = mapped_column(ForeignKey("artifacts.id"), nullable=True, index=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"), nullable=True, index=True)
    path: Mapped[str] = mapped_column(Text, default="")     # artifact !/ path or "source#source_id"
    offset: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # byte offset, if any
    message_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    context: Mapped[str] = mapped_column(Text, default="")
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    extractor: Mapped[str] = mapped_column(String(64))
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # sha256 of (type, value, where, offset/message, extractor): re-running adds nothing twice
    key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"), nullable=True, index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("extract_runs.id"), nullable=True)


class ExtractRun(StageRun, Base):
    """One run of ``tasman extract`` (``StageRun``: its settings, counts as ``stats``; status
    running | done | interrupted | failed), and the warnings of bad input."""

    __tablename__ = "extract_runs"

    errors: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)  # [{"path", "message"}]
