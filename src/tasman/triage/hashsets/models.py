"""Hash sets and their entries. Workspace-wide (a list serves every case); every import, removal
and use is written to the audit log.

An entry is one listed item: a file (md5/sha1/sha256 and/or its PDQ), a video frame (vPDQ) or
a sub-region PDQ of a listed picture (the crop-tolerant stage). Frames and regions carry the
``ref`` of the item they belong to and their ``part`` (frame number or region index).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tasman.core.models import Base, UTCDateTime
from tasman.core.timeutil import utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT for 10^9+ rows.
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class HashSet(Base):
    __tablename__ = "hashsets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    format: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(Text, default="")          # file imported (path as given)
    source_sha256: Mapped[str] = mapped_column(String(64), default="")
    known_good: Mapped[bool] = mapped_column(Boolean, default=False)
    category_scheme: Mapped[str] = mapped_column(String(32), default="vic")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(120))
    entry_count: Mapped[int] = mapped_column(BigInteger, default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)   # per hash kind, warnings


class HashSetEntry(Base):
    __tablename__ = "hashset_entries"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    hashset_id: Mapped[int] = mapped_column(ForeignKey("hashsets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8), default="file")    # file | frame | region
    ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    part: Mapped[int | None] = mapped_column(Integer, nullable=True)
    md5: Mapped[str | None] = mapped_column(String(32), nullable=True)
    sha1: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pdq: Mapped[str | None] = mapped_column(String(64), nullable=True)
    quality: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    category: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class ExchangeCursor(Base):
    """Where a hash set fed from a hash exchange (python-threatexchange) stands: which exchange
    and its settings (never credentials: those stay where python-threatexchange finds them), the
    exchange's checkpoint after the last complete page, and the last fetch's error."""

    __tablename__ = "hashset_exchange_cursors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hashset_id: Mapped[int] = mapped_column(ForeignKey("hashsets.id", ondelete="CASCADE"), unique=True)
    api: Mapped[str] = mapped_column(String(40))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    pages: Mapped[int] = mapped_column(Integer, default=0)            # complete pages taken, all fetches
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
