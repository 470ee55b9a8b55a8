"""SQLAlchemy 2.x typed models. ``migrations/`` must stay equal to these (a test checks)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from datetime import time as dtime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from crm_core.schedule import EVERY_DAY, DeliveryStatus
from crm_core.stages import ContactType, FileCategory, JobStatus, NoteType, Status, Urgency

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MONEY = Numeric(12, 2)
#: A lost reason's length: one line (issue 12).
LOST_REASON_MAX = 200
#: The table option of every table with a surrogate ``id``: ids travel in buttons and replies,
#: so one must never be handed out again after its row is erased (SQLite would reuse the
#: highest; PostgreSQL's sequences never do). Migration 0006 rebuilt the SQLite tables so.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _in(values: type[Any]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    def __repr__(self) -> str:
        ident = getattr(self, "id", None)
        label = getattr(self, "name", None) or getattr(self, "display_name", None)
        return f"<{type(self).__name__} id={ident}{f' {label!r}' if label else ''}>"


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
        CheckConstraint(f"contact_type IN ({_in(ContactType)})", name="contact_type"),
        CheckConstraint(f"status IN ({_in(Status)})", name="status"),
        CheckConstraint(f"urgency_level IN ({_in(Urgency)})", name="urgency_level"),
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


class Note(Base):
    __tablename__ = "crm_notes"
    __table_args__ = (
        CheckConstraint(f"note_type IN ({_in(NoteType)})", name="note_type"),
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


class File(Base):
    __tablename__ = "crm_files"
    __table_args__ = (
        CheckConstraint(f"category IN ({_in(FileCategory)})", name="category"),
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


class EmailConfig(Base):
    """An admin's IMAP mailbox. The password is stored only as a Fernet token."""

    __tablename__ = "crm_email_configs"
    __table_args__ = (
        CheckConstraint("imap_port > 0 AND imap_port < 65536", name="port_range"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    imap_host: Mapped[str] = mapped_column(
        String(255),
        default="nebula.galaxywebsolutions.com",
        server_default="nebula.galaxywebsolutions.com",
    )
    imap_port: Mapped[int] = mapped_column(Integer, default=993, server_default="993")
    username: Mapped[str] = mapped_column(String(255))
    password_encrypted: Mapped[str] = mapped_column(Text)
    use_ssl: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # -- mail sync (crm_core.mail) --
    # Without use_ssl: STARTTLS when set, else plain (only if IMAP_ALLOW_PLAIN).
    starttls: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The server refused the login: sync stops until the admin fixes it in /email.
    auth_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Network failures in a row and when to try again (capped exponential back-off).
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last sync's outcome as a sentence for the admin (never a secret), None when it worked.
    last_error: Mapped[str | None] = mapped_column(Text)
    # Folders to watch, comma separated; None: INBOX and the \Sent folder.
    folders: Mapped[str | None] = mapped_column(Text)
    # When the last good sync looked for contact addresses it had not covered: only contacts
    # touched since (created, edited) are checked again.
    addresses_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:  # never show the token
        return f"<EmailConfig id={self.id} user_id={self.user_id} host={self.imap_host!r}>"


class EmailCursor(Base):
    """How far one folder of one mailbox has been read: UIDs mean something only within one
    UIDVALIDITY, so a new UIDVALIDITY re-reads the folder (rows dedupe on the message key)."""

    __tablename__ = "crm_email_cursors"
    __table_args__ = (UniqueConstraint("config_id", "folder"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    config_id: Mapped[int] = mapped_column(ForeignKey("crm_email_configs.id", ondelete="CASCADE"))
    folder: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger)


# The mail sync's question "which contacts were touched since the last sync?" (and the recently
# touched contacts): a range of this index, not a scan of every contact.
Index("ix_crm_contacts_updated_at", Contact.updated_at)


class EmailAddressSeen(Base):
    """Contact addresses a mailbox's sync already covered. An address not listed (a new
    contact, an edited email) gets its recent mail by a server-side SEARCH on the next sync."""

    __tablename__ = "crm_email_addresses_seen"

    config_id: Mapped[int] = mapped_column(
        ForeignKey("crm_email_configs.id", ondelete="CASCADE"), primary_key=True
    )
    address: Mapped[str] = mapped_column(String(254), primary_key=True)


class Email(Base):
    """One message exchanged with one contact (a message to two contacts is two rows). Only mail
    matching a contact is ever stored; ``message_key`` is the Message-ID, or a hash of date,
    sender and subject when it has none, so the same message from two mailboxes is one row."""

    __tablename__ = "crm_emails"
    __table_args__ = (
        UniqueConstraint("contact_id", "message_key"),
        CheckConstraint("direction IN ('in', 'out')", name="direction"),
        # The card's "Emails (N)" and its newest-first pages.
        Index("ix_crm_emails_contact_sent", "contact_id", "sent_at"),
        NEVER_REUSE_IDS,  # email ids travel in buttons
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("crm_contacts.id", ondelete="CASCADE"))
    # The admin whose mailbox it came from ("Forget my mail" erases these).
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    message_key: Mapped[str] = mapped_column(String(255))
    direction: Mapped[str] = mapped_column(String(3))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    from_addr: Mapped[str] = mapped_column(String(320))
    to_addrs: Mapped[str] = mapped_column(Text, default="", server_default="")
    cc_addrs: Mapped[str] = mapped_column(Text, default="", server_default="")
    subject: Mapped[str] = mapped_column(Text, default="", server_default="")
    snippet: Mapped[str] = mapped_column(Text, default="", server_default="")
    # [[name, size], ...] of the message's attachments.
    attachments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Where to fetch it again ("Save attachments").
    folder: Mapped[str] = mapped_column(String(255))
    uid: Mapped[int] = mapped_column(BigInteger)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


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


class PendingObjectDelete(Base):
    """A stored object whose contact was erased but whose delete failed: retried by the next
    purge run (the database row is gone already; the object must follow)."""

    __tablename__ = "crm_pending_object_deletes"

    storage_key: Mapped[str] = mapped_column(String(512), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DigestDelivery(Base):
    """The ledger of daily digests: one row per admin per local day, inserted (claimed) before
    anything is sent, so the digest goes out once whatever the number of processes."""

    __tablename__ = "crm_digest_deliveries"
    __table_args__ = (
        UniqueConstraint("user_id", "local_date"),
        CheckConstraint(f"status IN ({_in(DeliveryStatus)})", name="status"),
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
        CheckConstraint(f"status IN ({_in(DeliveryStatus)})", name="status"),
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


class Job(Base):
    """Paid work for a contact (an eviction, a CCTV install). ``value`` is GBP; the time of
    each status change is kept in its own column. A contact's ``total_revenue`` is the sum of
    its paid jobs and its partner's ``total_jobs_referred`` the count of its live jobs: both
    kept by ``crm_core.services.jobs`` in the same transaction as the job change."""

    __tablename__ = "crm_jobs"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(JobStatus)})", name="status"),
        CheckConstraint("value >= 0", name="value_non_negative"),
        # A contact's jobs (list, totals).
        Index("ix_crm_jobs_contact_status", "contact_id", "status", "value"),
        # Revenue by month: paid jobs by the time they were paid.
        Index("ix_crm_jobs_paid_at", "paid_at", "contact_id", "value"),
        NEVER_REUSE_IDS,  # job ids travel in buttons
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("crm_contacts.id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(String(200))
    value: Mapped[Decimal] = mapped_column(MONEY)
    status: Mapped[str] = mapped_column(
        String(16), default=JobStatus.BOOKED.value, server_default=JobStatus.BOOKED.value
    )
    scheduled_date: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    booked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invoiced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Job id={self.id} contact_id={self.contact_id} {self.status} {self.value}>"


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
