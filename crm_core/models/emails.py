"""Mail: an admin's mailbox, how far each folder was read, the addresses covered, and the
messages kept for a contact."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow


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
