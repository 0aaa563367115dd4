"""Attribution results: one run per ``tasman attribute``, per subject a summary (top country,
conflict, what carried no weight) and per subject and country a score with its reasons."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tasman.core.models import Base, StageRun


class AttributionRun(StageRun, Base):
    """An attribution run (``StageRun``; ``settings``: the weights used, for reproduction, under
    ``weights``, and the geolocation source and lists)."""

    __tablename__ = "attribution_runs"


class SubjectAttribution(Base):
    """One subject in one run: the verdict and the evidence that counted for nothing (and why)."""

    __tablename__ = "subject_attributions"
    __table_args__ = (UniqueConstraint("run_id", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("attribution_runs.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    ignored: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class AttributionScore(Base):
    """One candidate country of one subject, ranked, with every reason that voted for it."""

    __tablename__ = "attribution_scores"
    __table_args__ = (UniqueConstraint("run_id", "subject_id", "country"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("attribution_runs.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    country: Mapped[str] = mapped_column(String(2))
    score: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
