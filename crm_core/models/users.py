"""The admins."""

from __future__ import annotations

from datetime import datetime
from datetime import time as dtime

from sqlalchemy import BigInteger, Boolean, Integer, String, Time, true
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.schedule import EVERY_DAY

from .base import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow


class User(Base):
    """An admin. Never deleted (they own contacts and notes); deactivated instead."""

    __tablename__ = "users"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str | None] = mapped_column(String(64))
    digest_time: Mapped[dtime | None] = mapped_column(Time)
    # Digest days as bits, Monday = 1 ... Sunday = 64 (crm_core.schedule.Weekdays).
    digest_days: Mapped[int] = mapped_column(
        Integer, default=EVERY_DAY, server_default=str(EVERY_DAY)
    )
    # Send "Nothing due today" on empty days (else send nothing).
    digest_empty: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    # Set when a send got 403 (the admin blocked the bot); cleared by the next good send.
    bot_blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
