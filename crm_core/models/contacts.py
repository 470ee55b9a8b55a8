"""The contact, its indexes, and what hangs off its history: notes, stage changes, lost
reasons."""

from __future__ import annotations

from datetime import date, datetime
from datetime import time as dtime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_core.stages import ContactType, NoteType, Status, Urgency

from .base import MONEY, NEVER_REUSE_IDS, Base, UTCDateTime, in_values, utcnow
from .users import User

#: A lost reason's length: one line (issue 12).
LOST_REASON_MAX = 200

#: On SQLite, migration 0005 adds an FTS5 trigram index of ``Contact.search_text`` under this
#: name: a virtual table (and its shadow tables named after it) kept in step by triggers on
#: crm_contacts, and a covering index for ranking matches, all named with this prefix. It is
#: not a model; autogenerate leaves it alone (``migrate.include_object``). A later migration
#: that rebuilds crm_contacts on SQLite (batch mode) drops those triggers and must create them
#: (and the index) again.
SQLITE_SEARCH_INDEX = "crm_contacts_fts"


def _live_index(name: str, *columns: str, where: str = "") -> Index:
    """An index of the contacts not in the trash. ``deleted_at`` is also its last column: SQLite
    can't see that a partial index's WHERE already fixes it, and would read the table."""
    live = text(" AND ".join(filter(None, ["deleted_at IS NULL", where])))
    return Index(name, *columns, "deleted_at", sqlite_where=live, postgresql_where=live)


class Contact(Base):
    __tablename__ = "crm_contacts"
    __table_args__ = (
        CheckConstraint(f"contact_type IN ({in_values(ContactType)})", name="contact_type"),
        CheckConstraint(f"status IN ({in_values(Status)})", name="status"),
        CheckConstraint(f"urgency_level IN ({in_values(Urgency)})", name="urgency_level"),
        CheckConstraint("potential_value >= 0", name="potential_value_non_negative"),
        CheckConstraint("total_revenue >= 0", name="total_revenue_non_negative"),
        CheckConstraint("total_jobs_referred >= 0", name="total_jobs_referred_non_negative"),
        # Lists, counts and the dashboard read these indexes of live contacts alone (see
        # bench/). The team list in follow-up order; the due and overdue counts.
        _live_index(
            "ix_crm_contacts_live_followup",
            "next_followup_date",
            "name_key",
            "id",
            "owner_id",
            "contact_type",
            "status",
        ),
        # One admin's list, dashboard figures and digest.
        _live_index(
            "ix_crm_contacts_owner_followup",
            "owner_id",
            "next_followup_date",
            "name_key",
            "id",
            "contact_type",
            "status",
            "current_stage",
            "potential_value",
        ),
        # Counts per filter, quotes pending; due and overdue counts. Few distinct keys: on
        # PostgreSQL, deduplication makes them tiny and counting them fast.
        _live_index(
            "ix_crm_contacts_live_filters", "status", "contact_type", "current_stage", "owner_id"
        ),
        _live_index("ix_crm_contacts_live_dates", "next_followup_date", "owner_id"),
        # The board: per type and stage, the first cards in list order (dated, then undated)
        # are a seek and the next rows; the count and value of every stage (the team's or one
        # admin's) are one pass over the type's entries in stage order, without the table.
        _live_index(
            "ix_crm_contacts_live_stage_followup",
            "contact_type",
            "current_stage",
            "next_followup_date",
            "name_key",
            "id",
            "owner_id",
            "potential_value",
        ),
        # Potential revenue.
        _live_index(
            "ix_crm_contacts_live_value",
            "status",
            "owner_id",
            "potential_value",
            where="potential_value IS NOT NULL",
        ),
        # Substring search; on PostgreSQL a trigram index serves LIKE '%x%' (on SQLite see
        # SQLITE_SEARCH_INDEX; this one serves queries too short for trigrams).
        Index(
            "ix_crm_contacts_search_text",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    company: Mapped[str | None] = mapped_column(String(200))
    contact_type: Mapped[str] = mapped_column(String(32), index=True)
    how_found_us: Mapped[str | None] = mapped_column(String(200))
    property_address: Mapped[str | None] = mapped_column(String(500))
    service_type: Mapped[str | None] = mapped_column(String(200))
    urgency_level: Mapped[str] = mapped_column(
        String(16), default=Urgency.NORMAL.value, server_default=Urgency.NORMAL.value
    )
    current_stage: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(
        String(16), default=Status.ACTIVE.value, server_default=Status.ACTIVE.value, index=True
    )
    next_followup_date: Mapped[date | None] = mapped_column(Date, index=True)
    # The owner's local wall time of a timed follow-up ("tomorrow 14:00"): a reminder then.
    next_followup_time: Mapped[dtime | None] = mapped_column(Time)
    potential_value: Mapped[Decimal | None] = mapped_column(MONEY)
    total_revenue: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0), server_default="0")
    total_jobs_referred: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    referred_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="SET NULL")
    )
    # Lower-cased name, email, company and phone digits, kept by the service for search.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The name casefolded, kept by the service: lists order by it, so "adam" sorts beside
    # "Adam" whatever the database's collation (binary on SQLite; C, as here, on PostgreSQL).
    name_key: Mapped[str] = mapped_column(Text, default="", server_default="")
    stage_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    referred_by: Mapped[Contact | None] = relationship(remote_side=[id], lazy="select")

    @property
    def type(self) -> ContactType:
        return ContactType(self.contact_type)


# The mail sync's question "which contacts were touched since the last sync?" (and the recently
# touched contacts): a range of this index, not a scan of every contact.
Index("ix_crm_contacts_updated_at", Contact.updated_at)

# A partner's referrals (its card, the Mini App's detail). Partial: most contacts were referred
# by nobody, and an index of mostly NULLs looks useless to SQLite's planner once ANALYZE has
# run, so it scanned every contact for each partner card (35-58 ms; now under 1 ms).
REFERRED = text("referred_by_id IS NOT NULL")
Index(
    "ix_crm_contacts_referred_by_id",
    Contact.referred_by_id,
    sqlite_where=REFERRED,
    postgresql_where=REFERRED,
)

# /report's forecast and stale count (issue 12): the open contacts of one pipeline, read from
# the index alone.
Index(
    "ix_crm_contacts_live_forecast",
    Contact.contact_type,
    Contact.status,
    Contact.current_stage,
    Contact.potential_value,
    Contact.stage_changed_at,
    Contact.created_at,
    Contact.deleted_at,
    sqlite_where=text("deleted_at IS NULL"),
    postgresql_where=text("deleted_at IS NULL"),
)


class Note(Base):
    __tablename__ = "crm_notes"
    __table_args__ = (
        CheckConstraint(f"note_type IN ({in_values(NoteType)})", name="note_type"),
        Index("ix_crm_notes_contact_created", "contact_id", "created_at"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("crm_contacts.id", ondelete="CASCADE"))
    note_type: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship(lazy="joined")


class StageChange(Base):
    __tablename__ = "crm_stage_changes"
    __table_args__ = (
        Index("ix_crm_stage_changes_contact_changed", "contact_id", "changed_at"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("crm_contacts.id", ondelete="CASCADE"))
    from_stage: Mapped[str | None] = mapped_column(String(64))
    to_stage: Mapped[str] = mapped_column(String(64))
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LostReason(Base):
    """Why a deal was lost, in one line: asked after a move to a lost stage (optional), kept
    with that stage change (issue 12). A table of its own rather than a column: the stage
    history keeps its shape for every migration's code."""

    __tablename__ = "crm_lost_reasons"

    stage_change_id: Mapped[int] = mapped_column(
        ForeignKey("crm_stage_changes.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(String(LOST_REASON_MAX))
