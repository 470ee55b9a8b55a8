"""Per-admin IMAP settings; the password only ever stored sealed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.crypto import SecretBox
from crm_core.errors import NotFound, ValidationError
from crm_core.models import EmailConfig, EmailCursor
from crm_core.services.emails import forget_mail, stored_count
from crm_core.validation import clean_text

DEFAULT_IMAP_HOST = "nebula.galaxywebsolutions.com"


def save_email_config(
    session: Session,
    box: SecretBox,
    user_id: int,
    *,
    username: str,
    password: str,
    host: str = DEFAULT_IMAP_HOST,
    port: int = 993,
    use_ssl: bool = True,
    starttls: bool = False,
) -> EmailConfig:
    """Create or replace the admin's mailbox settings. A new password also lifts the pause a
    refused login put on the sync."""
    username_clean = clean_text("username", username, required=True)
    host_clean = clean_text("imap_host", host, required=True)
    if not password:
        raise ValidationError("password", "The password can't be empty.")
    if not 0 < port < 65536:
        raise ValidationError("imap_port", "The port must be between 1 and 65535.")
    config = session.scalar(select(EmailConfig).where(EmailConfig.user_id == user_id))
    if config is None:
        config = EmailConfig(user_id=user_id)
        session.add(config)
    config.username = username_clean or ""
    config.imap_host = host_clean or DEFAULT_IMAP_HOST
    config.imap_port = port
    config.use_ssl = use_ssl
    config.starttls = starttls and not use_ssl
    config.password_encrypted = box.seal(password)
    config.auth_failed_at = None
    config.failures = 0
    config.retry_at = None
    config.last_error = None
    session.flush()
    return config


def get_email_config(session: Session, user_id: int) -> EmailConfig:
    config = session.scalar(select(EmailConfig).where(EmailConfig.user_id == user_id))
    if config is None:
        raise NotFound("No mailbox is set up for you yet.")
    return config


def read_email_password(session: Session, box: SecretBox, user_id: int) -> str:
    """The clear password; a token sealed with an older key is re-sealed with the newest."""
    config = get_email_config(session, user_id)
    password, stale = box.open(config.password_encrypted)
    if stale:
        config.password_encrypted = box.rotate(config.password_encrypted)
        session.flush()
    return password


def rotate_passwords(session: Session, box: SecretBox) -> int:
    """Re-seal every stored password with the newest key (``crm keys rotate``, after the
    operator put a new key first in CRM_EMAIL_ENCRYPTION_KEY); returns how many were re-sealed.
    A password no configured key opens stops the rotation with ``CRMError``, changing nothing."""
    configs = list(session.scalars(select(EmailConfig).order_by(EmailConfig.id)))
    rotated = 0
    for config in configs:
        _secret, stale = box.open(config.password_encrypted)
        if stale:
            config.password_encrypted = box.rotate(config.password_encrypted)
            rotated += 1
    session.flush()
    return rotated


@dataclass(frozen=True)
class MailboxStatus:
    """What /email shows about the admin's mailbox."""

    username: str
    host: str
    port: int
    security: str  # "TLS", "STARTTLS" or "plain"
    paused: bool
    login_refused: bool
    last_synced_at: datetime | None
    last_error: str | None
    stored: int
    folders: list[str]


def mailbox_status(session: Session, user_id: int) -> MailboxStatus:
    config = get_email_config(session, user_id)
    folders = list(
        session.scalars(
            select(EmailCursor.folder)
            .where(EmailCursor.config_id == config.id)
            .order_by(EmailCursor.id)
        )
    )
    security = "TLS" if config.use_ssl else "STARTTLS" if config.starttls else "plain"
    return MailboxStatus(
        username=config.username,
        host=config.imap_host,
        port=config.imap_port,
        security=security,
        paused=config.paused,
        login_refused=config.auth_failed_at is not None,
        last_synced_at=config.last_synced_at,
        last_error=config.last_error,
        stored=stored_count(session, user_id),
        folders=folders,
    )


def set_paused(session: Session, user_id: int, paused: bool) -> EmailConfig:
    config = get_email_config(session, user_id)
    config.paused = paused
    if not paused:  # Resume tries at once, whatever the back-off said
        config.retry_at = None
    session.flush()
    return config


def remove_email_config(session: Session, user_id: int, *, forget: bool) -> int:
    """Disconnect the mailbox (its cursors go with it); ``forget`` also erases the emails
    stored from it. Returns how many emails were erased."""
    config = get_email_config(session, user_id)
    erased = forget_mail(session, user_id) if forget else 0
    session.delete(config)
    session.flush()
    return erased


def clean_host(raw: str) -> str:
    """A host name or address as typed, checked for shape (the connection test does the rest)."""
    host = raw.strip().lower().rstrip(".")
    if not host or len(host) > 253 or not re.fullmatch(r"[a-z0-9.:\[\]-]+", host):
        raise ValidationError("imap_host", "That isn't a host name: type e.g. mail.example.com.")
    return host


def clean_port(raw: str) -> int:
    text = raw.strip()
    if not text.isdecimal() or not 0 < int(text) < 65536:
        raise ValidationError("imap_port", "The port must be a number from 1 to 65535.")
    return int(text)
