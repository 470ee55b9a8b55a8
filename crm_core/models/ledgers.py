"""Exactly-once bookkeeping and the bot's saved state: the front end's state rows, the claimed
update ids, and the ledgers of digests and reminders (claimed before anything is sent)."""

from __future__ import annotations

from datetime import date, datetime
from datetime import time as dtime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.schedule import DeliveryStatus

from .base import NEVER_REUSE_IDS, Base, UTCDateTime, in_values, utcnow


class BotState(Base):
    """A front end's saved state (conversation positions, per-user data), one JSON row per key.
    Lives in the database because Heroku wipes the disk on every restart."""

    __tablename__ = "bot_state"

    namespace: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ProcessedUpdate(Base):
    """Telegram update ids already handled: updates arrive at least once; act on them once.
    Each bot numbers its own updates, so the claim is per bot (two tokens may share a
    database)."""

    __tablename__ = "bot_processed_updates"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class DigestDelivery(Base):
    """The ledger of daily digests: one row per admin per local day, inserted (claimed) before
    anything is sent, so the digest goes out once whatever the number of processes."""

    __tablename__ = "crm_digest_deliveries"
    __table_args__ = (
        UniqueConstraint("user_id", "local_date"),
        CheckConstraint(f"status IN ({in_values(DeliveryStatus)})", name="status"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    local_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    late: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Claims so far (each claim is one sending attempt with its own retries); the optimistic
    # version a re-claim checks.
    attempts: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    items: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Messages of the digest already delivered: a re-claim after a crash resumes there.
    parts_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)


class ReminderDelivery(Base):
    """The ledger of timed follow-up reminders: one row per contact and follow-up moment."""

    __tablename__ = "crm_reminder_deliveries"
    __table_args__ = (
        UniqueConstraint("contact_id", "due_date", "due_time"),
        CheckConstraint(f"status IN ({in_values(DeliveryStatus)})", name="status"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("crm_contacts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    due_date: Mapped[date] = mapped_column(Date)
    due_time: Mapped[dtime] = mapped_column(Time)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    late: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    attempts: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
