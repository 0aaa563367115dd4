"""The evidence stage's own table: the acquisition hashes an EWF image carried on arrival.

One row per EWF evidence item, written once when it is recorded and never changed (later
checks go to the audit log): what the image stored, what its media hashed to, and the verdict
(agree / disagree / absent / unreadable, see ``evidence.ewf``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tasman.core.models import Base, UTCDateTime
from tasman.core.timeutil import utcnow


class MediaHashes(Base):
    __tablename__ = "evidence_media_hashes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    md5_stored: Mapped[str | None] = mapped_column(String(32), nullable=True)
    md5_media: Mapped[str | None] = mapped_column(String(32), nullable=True)
    sha1_stored: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sha1_media: Mapped[str | None] = mapped_column(String(40), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
