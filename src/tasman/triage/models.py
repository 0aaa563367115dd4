"""Triage runs and what they found. The inventory itself goes into the core ``artifacts`` table.

A run is resumable: ``triage_files`` marks each artifact hashed in the run, written in the same
transaction as the artifact, its matches and its errors, so a run killed at any point restarts
from the last committed batch without hashing a finished file twice or duplicating a row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tasman.core.models import Base, StageRun, UTCDateTime
from tasman.core.timeutil import utcnow


class TriageRun(StageRun, Base):
    """A triage run (``StageRun``: ``settings`` the run's parameters, ``stats`` its counts; status
    running | interrupted | failed | superseded | finished)."""

    __tablename__ = "triage_runs"

    # what makes two invocations "the same run" for resuming: case, evidence, hash sets, parameters
    key: Mapped[str] = mapped_column(String(64), index=True)
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)      # [{arg, evidence_id, name}]
    hashsets: Mapped[list[Any]] = mapped_column(JSON, default=list)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    out_dir: Mapped[str] = mapped_column(Text, default="")
    resumed: Mapped[int] = mapped_column(Integer, default=0)


class TriageFile(Base):
    """An artifact hashed in a run (the resume marker, and the run's own inventory)."""

    __tablename__ = "triage_files"
    __table_args__ = (UniqueConstraint("run_id", "artifact_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("triage_runs.id"), index=True)
    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifacts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="other")   # picture | video | other


class TriageMatch(Base):
    __tablename__ = "triage_matches"
    __table_args__ = (UniqueConstraint("run_id", "artifact_id", "match_type", "hash_name", "hashset"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("triage_runs.id"), index=True)
    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifacts.id"), index=True)
    match_type: Mapped[str] = mapped_column(String(16))       # exact | perceptual | crop | video
    hash_name: Mapped[str] = mapped_column(String(16))        # md5 | sha1 | sha256 | pdq | vpdq
    hashset: Mapped[str] = mapped_column(String(200))
    category: Mapped[int | None] = mapped_column(Integer, nullable=True)
    distance: Mapped[int] = mapped_column(Integer, default=0)
    known_good: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class TriageError(Base):
    """A file or container that could not be (fully) read, with a one-line reason."""

    __tablename__ = "triage_errors"
    __table_args__ = (UniqueConstraint("run_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("triage_runs.id"), index=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"))
    path: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(String(64))  # sha256 of evidence, path and reason: one row each


class TriageReview(Base):
    """An examiner's decision on a perceptual match awaiting review: ``confirmed`` (it is the listed
    file, or a near copy of it) or ``declined`` (it is not). Rows are only added: the latest row of an
    artifact is its current decision, the earlier ones its history."""

    __tablename__ = "triage_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifacts.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))          # confirmed | declined
    note: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(120))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
