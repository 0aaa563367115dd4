"""Tables of public tips: the tip as given (its reporter's address only as a keyed digest, their
contact only encrypted) and its files (hashes for matching; the bytes only encrypted on disk).
The tables are the web app's migration branch's (``serve``), where tips began.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tasman.core.models import Base, UTCDateTime
from tasman.core.timeutil import utcnow


class Tip(Base):
    """A report from the public, kept as given; the reporter's address is kept only as a keyed digest,
    their contact details only encrypted."""

    __tablename__ = "tips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)   # given to the reporter
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    what: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text, default="")
    platform: Mapped[str] = mapped_column(String(120), default="")
    username: Mapped[str] = mapped_column(String(200), default="")
    seen_when: Mapped[str] = mapped_column(String(120), default="")
    # the reporter's contact, encrypted (``fernet:...``, vault.seal_text); read only through
    # intake.read_contact, which audits the read; the attribute's name keeps plain use out of templates
    contact_sealed: Mapped[str] = mapped_column("contact", Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="new")  # new | imported | dismissed
    match_status: Mapped[str] = mapped_column(String(16), default="none")  # none | pending | matched | clear
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True, index=True)
    source_digest: Mapped[str] = mapped_column(String(64), default="")


class TipFile(Base):
    """A file sent with a tip: hashes for matching, the bytes only encrypted on disk, never shown."""

    __tablename__ = "tip_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id"), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mime: Mapped[str] = mapped_column(String(100))
    md5: Mapped[str] = mapped_column(String(32), index=True)
    sha1: Mapped[str] = mapped_column(String(40), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    pdq: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pdq_quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pdq_variants: Mapped[list[str]] = mapped_column(JSON, default=list)  # dihedral hashes, for matching
    blob: Mapped[str] = mapped_column(String(200))             # encrypted file, relative to the tip store
    matches: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
