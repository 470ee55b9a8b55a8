"""Which contact a file's caption is about.

A caption may name its contact ("Jane Smith", "jane smith — kitchen") or only describe the
file ("door", "keys", "flat 12"). Filing by search was wrong for the second kind: "door" found
the only contact with "door" somewhere in its company and the photo went there without a
question. So a caption files a file silently only when it *clearly names* one contact: that
contact's whole name appears in it as whole words, and no other contact's does. Otherwise the
contacts it may mean (those named, else the caption's search matches) are offered first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.models import Contact
from crm_core.services.contacts import live, recently_touched
from crm_core.services.search import search_contacts

#: How many contacts "Attach to which contact?" offers.
CHOICES = 5


@dataclass(frozen=True, slots=True)
class CaptionMatch:
    #: The one contact the caption clearly names, if any: file silently.
    contact: Contact | None = None
    #: Otherwise the contacts it may mean, likeliest first (ask, offering these first).
    likely: list[Contact] = field(default_factory=list)


def match_caption(session: Session, caption: str) -> CaptionMatch:
    text = " ".join(caption.casefold().split())
    if not text:
        return CaptionMatch()
    contains = (
        func.instr(text, Contact.name_key)
        if session.get_bind().dialect.name == "sqlite"
        else func.strpos(text, Contact.name_key)
    )
    # The names inside the caption (a scan of names, but captions are rare), then whole
    # words only: "Ann" is not named by "Anne's door".
    candidates = session.scalars(
        select(Contact).where(live(), Contact.name_key != "", contains > 0).order_by(Contact.id)
    )
    named = [c for c in candidates if _whole_words(c.name_key, text)]
    # A name inside another one named ("Jane" in "Jane Smith") is not named by itself.
    outer = [
        c
        for c in named
        if not any(
            o is not c and _whole_words(c.name_key, o.name_key)
            for o in named
            if o.name_key != c.name_key
        )
    ]
    if len(outer) == 1:
        return CaptionMatch(contact=outer[0])
    if named:
        inner = [c for c in named if c not in outer]
        return CaptionMatch(likely=[*outer, *inner][:CHOICES])
    first_line = caption.strip().split("\n", 1)[0]
    return CaptionMatch(likely=search_contacts(session, first_line, limit=CHOICES))


def _whole_words(name: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(' '.join(name.split()))}(?!\w)", text) is not None


def likely_then_recent(session: Session, likely_ids: list[int]) -> list[Contact]:
    """The contacts to offer for a file: the likely ones still there, in order, then the most
    recently touched, ``CHOICES`` in all."""
    likely = (
        {
            c.id: c
            for c in session.scalars(select(Contact).where(live(), Contact.id.in_(likely_ids)))
        }
        if likely_ids
        else {}
    )
    offered = [likely[i] for i in likely_ids if i in likely][:CHOICES]
    for contact in recently_touched(session, limit=CHOICES + len(offered)):
        if len(offered) >= CHOICES:
            break
        if contact.id not in {c.id for c in offered}:
            offered.append(contact)
    return offered
