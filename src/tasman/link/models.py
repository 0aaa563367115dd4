"""Subjects and how they were formed: runs (with their saved settings), members, explained
links, and analysts' decisions that later runs respect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tasman.core.models import Base, StageRun, UTCDateTime
from tasman.core.timeutil import utcnow


class LinkRun(StageRun, Base):
    """A link run (``StageRun``; ``settings``: Tasman's and the Splink settings, for reproduction)."""

    __tablename__ = "link_runs"

    threshold: Mapped[float] = mapped_column(Float)


class Subject(Base):
    """A resolved person: the records (and through them the observations) that belong together."""

    __tablename__ = "subjects"
    __table_args__ = (UniqueConstraint("case_id", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    ref: Mapped[str] = mapped_column(String(32))          # stable, human: "S-000123"
    name: Mapped[str] = mapped_column(String(300), default="")
    run_id: Mapped[int | None] = mapped_column(ForeignKey("link_runs.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="proposed")  # proposed | confirmed | retired
    # what the members hold, normalised: {"emails": [...], "phones": [...], "handles": [...],
    # "payrefs": [...], "countries": [...]}
    identifiers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # attribution (filled by the attribute stage)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)


class SubjectRecord(Base):
    """A record's party in a subject. Most records describe one person (``role`` ""); a transfer
    describes two, its ``sender`` and its ``beneficiary``, who may belong to different subjects."""

    __tablename__ = "subject_records"
    __table_args__ = (UniqueConstraint("record_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))
    role: Mapped[str] = mapped_column(String(16), default="")  # "" | sender | beneficiary


class _ScoredPair:
    """The columns a link and a probable link share: the run, the two parties, the score and the
    comparison explanation (field -> level, weight)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("link_runs.id"), index=True)
    record_a: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    record_b: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    role_a: Mapped[str] = mapped_column(String(16), default="")
    role_b: Mapped[str] = mapped_column(String(16), default="")
    match_weight: Mapped[float] = mapped_column(Float)
    probability: Mapped[float] = mapped_column(Float)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RecordLink(_ScoredPair, Base):
    """Why two records were joined: the rule or the Fellegi-Sunter weight and the fields that agreed."""

    __tablename__ = "record_links"

    rule: Mapped[str] = mapped_column(String(120), default="")  # deterministic rule name, or "probabilistic"


class ProbableLink(_ScoredPair, Base):
    """A pair the latest run scored at or above the review threshold but below the link threshold,
    left in two subjects: its probability and explanation, for an analyst to review (merge or not).
    Only the latest run's are kept, as with links."""

    __tablename__ = "probable_links"


class Decision(Base):
    """An analyst's confirm / split / merge (or a reviewed pair's "different people": ``apart``),
    replayed on every later run."""

    __tablename__ = "link_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # confirm | split | merge | apart
    # party keys (tasman.link.keys): "123" for record 123's person, "123:sender", "123:beneficiary"
    record_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    other_record_ids: Mapped[list[str]] = mapped_column(JSON, default=list)  # split: the part split off
    subject_refs: Mapped[list[str]] = mapped_column(JSON, default=list)  # the subjects as the analyst saw them
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(120))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PairReview(Base):
    """An analyst's verdict on a probable link: the same person (``same``: the two subjects were
    merged) or not (``different``: the two records are kept apart). One per pair of parties (in
    uid order); the decision it made is replayed by later runs, and the ``same`` verdicts are
    labels to estimate the model's m values from."""

    __tablename__ = "link_pair_reviews"
    __table_args__ = (UniqueConstraint("case_id", "record_a", "role_a", "record_b", "role_b"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    record_a: Mapped[int] = mapped_column(ForeignKey("records.id"))
    role_a: Mapped[str] = mapped_column(String(16), default="")
    record_b: Mapped[int] = mapped_column(ForeignKey("records.id"))
    role_b: Mapped[str] = mapped_column(String(16), default="")
    verdict: Mapped[str] = mapped_column(String(16))  # same | different
    probability: Mapped[float] = mapped_column(Float)  # as scored by the run the analyst reviewed
    run_id: Mapped[int | None] = mapped_column(ForeignKey("link_runs.id"), nullable=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("link_decisions.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(120))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
