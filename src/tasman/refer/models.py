"""Referral tables: the agency directory, packages sent (frozen, versioned), packages received,
and outcome reports (sent by recipients, imported by senders) with their per-subject items."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tasman.core.models import Base, UTCDateTime
from tasman.core.timeutil import utcnow


class Agency(Base):
    """A partner agency: the countries it serves and its public keys (age for packages to it,
    Ed25519 for the outcome reports it signs)."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact: Mapped[str] = mapped_column(Text, default="")
    age_recipient: Mapped[str] = mapped_column(String(120))
    signing_key: Mapped[str] = mapped_column(String(64), default="")   # base64 raw Ed25519 public key
    fingerprint: Mapped[str] = mapped_column(String(80), default="", index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by: Mapped[str] = mapped_column(String(120))


class ReferralPackage(Base):
    """One version of one country's package. Rows are written once and never changed."""

    __tablename__ = "referral_packages"
    __table_args__ = (UniqueConstraint("case_id", "country", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    country: Mapped[str] = mapped_column(String(2))
    version: Mapped[int] = mapped_column(Integer)
    package_id: Mapped[str] = mapped_column(String(120), unique=True)
    agency: Mapped[str] = mapped_column(String(200))
    tlp: Mapped[str] = mapped_column(String(16))
    content_digest: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(Text)
    file_sha256: Mapped[str] = mapped_column(String(64))
    subjects: Mapped[list[str]] = mapped_column(JSON, default=list)
    document: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))


class ReceivedPackage(Base):
    """A package another agency sent us, loaded into one of our cases with its references."""

    __tablename__ = "received_packages"
    __table_args__ = (UniqueConstraint("case_id", "package_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    package_id: Mapped[str] = mapped_column(String(120))
    series: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(String(200))
    sender_fingerprint: Mapped[str] = mapped_column(String(80))
    file_sha256: Mapped[str] = mapped_column(String(64))
    record_map: Mapped[dict[str, list[int]]] = mapped_column(JSON, default=dict)  # sender subject ref -> our record ids
    document: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_by: Mapped[str] = mapped_column(String(120))


class OutcomeReport(Base):
    """A signed outcome report: ``direction`` is ``out`` for one we issued as recipient, ``in``
    for one we imported as sender. (agency, series, sequence) and nonce refuse replays."""

    __tablename__ = "outcome_reports"
    __table_args__ = (UniqueConstraint("direction", "nonce", name="uq_outcome_reports_nonce"),
                      UniqueConstraint("direction", "report_id", name="uq_outcome_reports_report_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))
    report_id: Mapped[str] = mapped_column(String(64))
    package_id: Mapped[str] = mapped_column(String(120))
    series: Mapped[str] = mapped_column(String(120), index=True)
    agency: Mapped[str] = mapped_column(String(200))
    signer_fingerprint: Mapped[str] = mapped_column(String(80))
    sequence: Mapped[int] = mapped_column(Integer)
    nonce: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(120))


class Outcome(Base):
    """One subject's reported outcome, from an imported report."""

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("outcome_reports.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    country: Mapped[str] = mapped_column(String(2))
    series: Mapped[str] = mapped_column(String(120))
    subject_ref: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    on: Mapped[date] = mapped_column(Date)
    children_safeguarded: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
