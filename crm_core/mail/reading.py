"""Reading matching messages out of a selected folder: envelopes, then bodies of matches.

Only a message whose From, To, Cc (or, incoming, Reply-To) holds a contact's address has its
body fetched, with ``BODY.PEEK[]`` (no flag changes). A message the parser can't read, or one
over ``BODY_LIMIT``, is skipped and logged by UID only; one that matches nobody leaves no trace.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import ProtocolError

from crm_core.mail.client import Folder
from crm_core.mail.parse import (
    as_utc,
    decode_words,
    envelope_addresses,
    format_address,
    message_key,
    normalise_address,
    summarise,
)
from crm_core.models import utcnow
from crm_core.services.emails import NewEmail

log = logging.getLogger(__name__)

BODY_BATCH_BYTES = 8 * 1024 * 1024  # bodies fetched together up to this size
BODY_LIMIT = 25 * 1024 * 1024  # a bigger message is skipped (logged by UID)


def _envelopes(imap: IMAPClient, uids: Sequence[int]) -> dict[int, dict[bytes, Any]]:
    """Envelopes, sizes and arrival dates; a batch the parser chokes on is read one by one and
    the broken message skipped (logged by UID)."""
    wanted = ["ENVELOPE", "RFC822.SIZE", "INTERNALDATE"]
    try:
        return dict(imap.fetch(uids, wanted))
    except (ProtocolError, ValueError):
        if len(uids) == 1:
            log.warning("Mail sync: skipped message UID %s (unreadable envelope)", uids[0])
            return {}
    result: dict[int, dict[bytes, Any]] = {}
    for uid in uids:
        result.update(_envelopes(imap, [uid]))
    return result


@dataclass
class _Hit:
    uid: int
    envelope: Any
    arrived: datetime | None
    size: int
    contacts: list[int]
    outgoing: bool


def matching(
    imap: IMAPClient,
    folder: Folder,
    uidvalidity: int,
    uids: Sequence[int],
    addresses: dict[str, list[int]],
    own: str,
) -> Iterator[NewEmail]:
    """The messages among ``uids`` that match a contact, one row per contact: envelopes of the
    batch first, then bodies (``BODY.PEEK[]``) of the matches only, a few MB at a time."""
    hits = []
    for uid, item in _envelopes(imap, uids).items():
        envelope = item.get(b"ENVELOPE")
        if envelope is None:
            continue
        hit = _match(addresses, own, folder, uid, envelope)
        if hit is not None:
            hit.arrived = item.get(b"INTERNALDATE")
            hit.size = int(item.get(b"RFC822.SIZE") or 0)
            hits.append(hit)
    for group in _body_groups(hits, folder):
        bodies = imap.fetch([hit.uid for hit in group], ["BODY.PEEK[]"])
        for hit in group:
            raw = bodies.get(hit.uid, {}).get(b"BODY[]")
            try:
                body = summarise(raw) if isinstance(raw, bytes) else None
            except Exception:  # malformed beyond what the parser tolerates
                log.warning("Mail sync: skipped message UID %s in %s", hit.uid, folder.name)
                continue
            if body is None:
                continue
            yield from _rows(hit, folder, uidvalidity, body.snippet, body.attachments)


def _match(
    addresses: dict[str, list[int]], own: str, folder: Folder, uid: int, envelope: Any
) -> _Hit | None:
    sender = envelope_addresses(envelope.from_)
    outgoing = folder.sent or any(normalise_address(a) == own for _n, a in sender)
    roles = [sender, envelope_addresses(envelope.to), envelope_addresses(envelope.cc)]
    if not outgoing:
        roles.append(envelope_addresses(envelope.reply_to))
    contacts: list[int] = []
    for _name, address in (pair for role in roles for pair in role):
        for contact_id in addresses.get(normalise_address(address), ()):
            if contact_id not in contacts:
                contacts.append(contact_id)
    if not contacts:
        return None
    return _Hit(uid, envelope, None, 0, contacts, outgoing)


def _body_groups(hits: Iterable[_Hit], folder: Folder) -> Iterator[list[_Hit]]:
    group: list[_Hit] = []
    size = 0
    for hit in hits:
        if hit.size > BODY_LIMIT:
            log.warning(
                "Mail sync: skipped message UID %s in %s (%d bytes)",
                hit.uid,
                folder.name,
                hit.size,
            )
            continue
        if group and size + hit.size > BODY_BATCH_BYTES:
            yield group
            group, size = [], 0
        group.append(hit)
        size += hit.size
    if group:
        yield group


def _rows(
    hit: _Hit,
    folder: Folder,
    uidvalidity: int,
    snippet: str,
    attachments: list[tuple[str, int]],
) -> Iterator[NewEmail]:
    envelope = hit.envelope
    sender = envelope_addresses(envelope.from_)
    from_text = format_address(*sender[0]) if sender else ""
    subject = decode_words(envelope.subject)
    when = as_utc(envelope.date, as_utc(hit.arrived, utcnow()))
    key = message_key(envelope.message_id, when, sender[0][1] if sender else "", subject)
    to = ", ".join(a for _n, a in envelope_addresses(envelope.to))
    cc = ", ".join(a for _n, a in envelope_addresses(envelope.cc))
    for contact_id in hit.contacts:
        yield NewEmail(
            contact_id=contact_id,
            message_key=key,
            direction="out" if hit.outgoing else "in",
            sent_at=when,
            from_addr=from_text,
            to_addrs=to,
            cc_addrs=cc,
            subject=subject,
            snippet=snippet,
            attachments=attachments,
            folder=folder.name,
            uid=hit.uid,
            uidvalidity=uidvalidity,
        )
