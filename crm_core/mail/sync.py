"""Syncing one admin's mailbox: only mail with known contacts is kept.

Per watched folder, a cursor (UIDVALIDITY, last UID) says what was read. New UIDs are read in
batches: envelopes first (From, To, Cc, Reply-To), bodies (``BODY.PEEK[]``: flags never change)
only of messages that match a live contact. A message matching nobody leaves no row and no log
line. Each batch commits with its cursor, so a 20,000-message first sync holds one batch in
memory and a failure resumes where it stopped. A contact address the mailbox has not covered yet
(a new contact, an edited email) gets its last ``BACKFILL_DAYS`` of mail by a server-side SEARCH.

The function commits its own transactions (one per batch), unlike a service: it is the unit of
work a job or "Sync now" runs, in a worker thread. Failures: a refused login marks the mailbox
(sync stops until /email fixes it) and asks the caller to tell the admin, once; network and TLS
trouble back off (capped) and clear on the next good sync.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from imapclient import IMAPClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.config import Settings
from crm_core.crypto import SecretBox
from crm_core.errors import NotFound
from crm_core.mail.client import (
    DEFAULT_TIMEOUT,
    Folder,
    LoginRefused,
    MailError,
    Security,
    Server,
    connect,
    watched_folders,
)
from crm_core.mail.parse import (
    normalise_address,
)
from crm_core.mail.reading import matching
from crm_core.models import EmailAddressSeen, EmailConfig, EmailCursor, utcnow
from crm_core.services.emails import (
    contact_addresses,
    store_emails,
    unseen_addresses,
)

log = logging.getLogger(__name__)

BATCH = 500  # envelopes per FETCH
BACKFILL_DAYS = 90
BACKFILL_ADDRESSES = 20  # addresses per SEARCH
BACKOFF_CAP = timedelta(hours=1)

_running: dict[int, threading.Lock] = {}
_running_guard = threading.Lock()


class SyncStatus(StrEnum):
    OK = "ok"
    SKIPPED = "skipped"  # paused, login refused earlier, or backing off
    BUSY = "busy"  # another sync of the same mailbox is running
    LOGIN_REFUSED = "login_refused"
    FAILED = "failed"  # network or TLS trouble: retried later


@dataclass(frozen=True)
class SyncResult:
    status: SyncStatus
    stored: int = 0
    message: str | None = None
    #: Tell the admin now (the first refusal of the login; later syncs are skipped).
    notify: bool = False


@dataclass(frozen=True)
class MailOptions:
    """The operator's mail settings (``Settings.imap_*``)."""

    ca_file: Path | None = None
    allow_plain: bool = False
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def of(cls, settings: Settings) -> MailOptions:
        return cls(settings.imap_ca_file, settings.imap_allow_plain)


def server_of(config: EmailConfig, options: MailOptions) -> Server:
    if config.use_ssl:
        security = Security.TLS
    else:
        security = Security.STARTTLS if config.starttls else Security.PLAIN
    return Server(
        host=config.imap_host,
        port=config.imap_port,
        security=security,
        username=config.username,
        ca_file=options.ca_file,
        allow_plain=options.allow_plain,
        timeout=options.timeout,
    )


@dataclass
class _Plan:
    """What one sync needs from the database, read before connecting."""

    config_id: int
    user_id: int
    server: Server
    folders: str | None
    own: str
    cursors: dict[str, tuple[int, int]]
    new_addresses: list[str]
    #: Live contacts' addresses, loaded only once there is mail to match.
    addresses: dict[str, list[int]] | None = None
    stored: int = 0


def sync_mailbox(
    factory: sessionmaker[Session],
    box: SecretBox,
    user_id: int,
    options: MailOptions,
    *,
    now: datetime | None = None,
    force: bool = False,
) -> SyncResult:
    """Sync this admin's mailbox now (``force``: even while backing off after network errors)."""
    with _running_guard:
        lock = _running.setdefault(user_id, threading.Lock())
    if not lock.acquire(blocking=False):
        return SyncResult(SyncStatus.BUSY, message="A sync of this mailbox is already running.")
    try:
        return _sync(factory, box, user_id, options, now or utcnow(), force)
    finally:
        lock.release()


def due_mailboxes(session: Session, now: datetime) -> list[int]:
    """Admins (users.id) whose mailbox the scheduled sync should read now."""
    return list(
        session.scalars(
            select(EmailConfig.user_id)
            .where(
                EmailConfig.paused.is_(False),
                EmailConfig.auth_failed_at.is_(None),
                (EmailConfig.retry_at.is_(None)) | (EmailConfig.retry_at <= now),
            )
            .order_by(EmailConfig.user_id)
        )
    )


def _sync(
    factory: sessionmaker[Session],
    box: SecretBox,
    user_id: int,
    options: MailOptions,
    now: datetime,
    force: bool,
) -> SyncResult:
    with factory.begin() as session:
        config = session.scalar(select(EmailConfig).where(EmailConfig.user_id == user_id))
        if config is None:
            raise NotFound("No mailbox is set up for you yet.")
        if config.paused:
            return SyncResult(SyncStatus.SKIPPED, message="Sync is paused for this mailbox.")
        if config.auth_failed_at is not None:
            return SyncResult(SyncStatus.SKIPPED, message=config.last_error)
        if not force and config.retry_at is not None and config.retry_at > now:
            return SyncResult(SyncStatus.SKIPPED, message=config.last_error)
        password, _stale = box.open(config.password_encrypted)
        plan = _plan(session, config, options)
    try:
        with connect(plan.server, password) as imap:
            _read(imap, factory, plan, now)
    except LoginRefused as err:
        _record_failure(factory, plan.config_id, now, str(err), login=True)
        return SyncResult(SyncStatus.LOGIN_REFUSED, message=str(err), notify=True)
    except MailError as err:
        log.warning("Mail sync of mailbox %s failed: %s", plan.config_id, err)
        _record_failure(factory, plan.config_id, now, str(err), login=False)
        return SyncResult(SyncStatus.FAILED, plan.stored, message=str(err))
    with factory.begin() as session:
        config = session.get_one(EmailConfig, plan.config_id)
        config.last_synced_at = now
        config.addresses_checked_at = now
        config.failures = 0
        config.retry_at = None
        config.last_error = None
        session.add_all(
            EmailAddressSeen(config_id=plan.config_id, address=address)
            for address in plan.new_addresses
        )
    return SyncResult(SyncStatus.OK, plan.stored)


def _plan(session: Session, config: EmailConfig, options: MailOptions) -> _Plan:
    cursors = {
        c.folder: (c.uidvalidity, c.last_uid)
        for c in session.scalars(select(EmailCursor).where(EmailCursor.config_id == config.id))
    }
    return _Plan(
        config_id=config.id,
        user_id=config.user_id,
        server=server_of(config, options),
        folders=config.folders,
        own=normalise_address(config.username),
        cursors=cursors,
        new_addresses=[
            a for a in unseen_addresses(session, config.id, config.addresses_checked_at) if a
        ],
    )


def _contact_map(factory: sessionmaker[Session], plan: _Plan) -> dict[str, list[int]]:
    if plan.addresses is None:
        with factory() as session:
            plan.addresses = contact_addresses(session)
    return plan.addresses


def _record_failure(
    factory: sessionmaker[Session], config_id: int, now: datetime, reason: str, *, login: bool
) -> None:
    with factory.begin() as session:
        config = session.get_one(EmailConfig, config_id)
        config.last_error = reason
        if login:
            config.auth_failed_at = now
        else:
            config.failures += 1
            delay = timedelta(minutes=2 ** min(config.failures - 1, 6))
            config.retry_at = now + min(delay, BACKOFF_CAP)


def _read(imap: IMAPClient, factory: sessionmaker[Session], plan: _Plan, now: datetime) -> None:
    folders = watched_folders(imap, plan.folders)
    # Backfill only after a completed sync: a first sync reads everything anyway.
    backfill = bool(plan.cursors) and bool(plan.new_addresses)
    for folder in folders:
        uidvalidity, read_to = _read_new(imap, factory, plan, folder)
        if backfill:
            _backfill(imap, factory, plan, folder, uidvalidity, read_to, now)


def _read_new(
    imap: IMAPClient, factory: sessionmaker[Session], plan: _Plan, folder: Folder
) -> tuple[int, int]:
    """Read what arrived since the cursor; returns the folder's UIDVALIDITY and last UID read."""
    info = imap.select_folder(folder.name, readonly=True)  # EXAMINE: no flag ever changes
    uidvalidity = int(info[b"UIDVALIDITY"])
    cursor = plan.cursors.get(folder.name)
    last = cursor[1] if cursor and cursor[0] == uidvalidity else 0
    uidnext = info.get(b"UIDNEXT")
    if cursor and cursor[0] == uidvalidity and uidnext is not None and int(uidnext) - 1 <= last:
        return uidvalidity, last  # nothing new: one round trip for this folder
    uids = sorted(uid for uid in imap.search(["UID", f"{last + 1}:*"]) if uid > last)
    for start in range(0, len(uids), BATCH):
        batch = uids[start : start + BATCH]
        addresses = _contact_map(factory, plan)
        found = list(matching(imap, folder, uidvalidity, batch, addresses, plan.own))
        last = batch[-1]
        with factory.begin() as session:
            plan.stored += store_emails(session, plan.user_id, found)
            _save_cursor(session, plan.config_id, folder.name, uidvalidity, last)
    if not uids and (cursor is None or cursor[0] != uidvalidity):
        with factory.begin() as session:
            _save_cursor(session, plan.config_id, folder.name, uidvalidity, last)
    return uidvalidity, last


def _backfill(
    imap: IMAPClient,
    factory: sessionmaker[Session],
    plan: _Plan,
    folder: Folder,
    uidvalidity: int,
    read_to: int,
    now: datetime,
) -> None:
    """The recent mail of addresses this mailbox has not covered yet, found by SEARCH."""
    since = (now - timedelta(days=BACKFILL_DAYS)).date()
    found: set[int] = set()
    for start in range(0, len(plan.new_addresses), BACKFILL_ADDRESSES):
        chunk = plan.new_addresses[start : start + BACKFILL_ADDRESSES]
        terms: list[Any] = []
        for address in chunk:
            terms += ["FROM", address, "TO", address, "CC", address]
        criteria = ["SINCE", since, *["OR"] * (len(terms) // 2 - 1), *terms]
        found.update(uid for uid in imap.search(criteria) if uid <= read_to)
    uids = sorted(found)
    for start in range(0, len(uids), BATCH):
        batch = uids[start : start + BATCH]
        addresses = _contact_map(factory, plan)
        matches = list(matching(imap, folder, uidvalidity, batch, addresses, plan.own))
        with factory.begin() as session:
            plan.stored += store_emails(session, plan.user_id, matches)


def _save_cursor(
    session: Session, config_id: int, folder: str, uidvalidity: int, last_uid: int
) -> None:
    cursor = session.scalar(
        select(EmailCursor).where(EmailCursor.config_id == config_id, EmailCursor.folder == folder)
    )
    if cursor is None:
        session.add(
            EmailCursor(
                config_id=config_id, folder=folder, uidvalidity=uidvalidity, last_uid=last_uid
            )
        )
    else:
        cursor.uidvalidity, cursor.last_uid = uidvalidity, last_uid
    session.flush()
