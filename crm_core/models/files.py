"""A contact's stored files, and the stored objects still to delete."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.stages import FileCategory

from .base import NEVER_REUSE_IDS, Base, UTCDateTime, in_values, utcnow


class File(Base):
    __tablename__ = "crm_files"
    __table_args__ = (
        CheckConstraint(f"category IN ({in_values(FileCategory)})", name="category"),
        CheckConstraint("file_size >= 0", name="file_size_non_negative"),
        Index("ix_crm_files_contact_unique", "contact_id", "telegram_file_unique_id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("crm_contacts.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(String(255))
    file_type: Mapped[str] = mapped_column(String(127))
    file_size: Mapped[int] = mapped_column(BigInteger)
    storage_key: Mapped[str] = mapped_column(String(512), unique=True)
    category: Mapped[str] = mapped_column(String(16))
    caption: Mapped[str | None] = mapped_column(Text)
    telegram_file_id: Mapped[str | None] = mapped_column(String(255))
    telegram_file_unique_id: Mapped[str | None] = mapped_column(String(64))
    # photo | document | video | voice | audio: a file_id is re-sent only as its own kind.
    telegram_kind: Mapped[str | None] = mapped_column(String(16))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PendingObjectDelete(Base):
    """A stored object whose contact was erased but whose delete failed: retried by the next
    purge run (the database row is gone already; the object must follow)."""

    __tablename__ = "crm_pending_object_deletes"

    storage_key: Mapped[str] = mapped_column(String(512), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
