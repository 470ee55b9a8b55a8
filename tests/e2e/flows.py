"""Helpers the user-flow e2e tests share: a frozen clock, a tap that insists on an answer,
seeding through crm_core, and reading the database back.

The bot reads its clock from ``Crm.clock``; the tests freeze it at ``NOW`` (Monday
23 November 2026, 10:00 UTC) so that "friday", "in 2 weeks" and OVERDUE are fixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.runtime import BOT_DATA_KEY
from crm_core.models import Contact, File, Note
from crm_core.services.contacts import create_contact
from crm_core.services.notes import add_note
from sandbox import BotApiDouble, Phone, RunningApp
from tests.conftest import NOW, TODAY

JSON = dict[str, Any]


def freeze(bot: RunningApp) -> None:
    """Stop the bot's clock at ``NOW``."""
    bot.app.bot_data[BOT_DATA_KEY].clock = lambda: NOW


def all_answered(double: BotApiDouble) -> None:
    """Every button press the phones made got its answerCallbackQuery."""
    pressed = [u["callback_query"] for u in double.updates if "callback_query" in u]
    answered = {str(a["callback_query_id"]) for a in double.answers}
    silent = [q["data"] for q in pressed if str(q["id"]) not in answered]
    assert not silent, f"button presses never answered: {silent}"


async def tap(phone: Phone, message: Mapping[str, Any], label: str) -> JSON:
    """Press a button and wait until the bot has answered the callback query; returns the
    answer's params (``text`` is the toast or alert, if any)."""
    update = await phone.click(message, label)
    return await phone.wait_answer(update)


async def say(phone: Phone, text: str, reply_to: Mapping[str, Any] | None = None) -> JSON:
    """Send a text (as a reply to ``reply_to``, if given) and return the bot's reply."""
    await phone.send(text, reply_to=reply_to)
    return await phone.wait_reply()


async def press(phone: Phone, message: Mapping[str, Any], label: str) -> JSON:
    """Tap and return the bot's next new message."""
    await tap(phone, message, label)
    return await phone.wait_reply()


async def press_edit(phone: Phone, message: Mapping[str, Any], label: str) -> JSON:
    """Tap and return ``message`` as the bot redrew it."""
    await tap(phone, message, label)
    return await phone.wait_edit(message)


def seed(
    factory: sessionmaker[Session],
    owner_id: int,
    name: str,
    contact_type: str = "eviction_client",
    *,
    notes: list[str] | None = None,
    note_author: int | None = None,
    **fields: Any,
) -> int:
    """A contact made through crm_core (and its notes, oldest first); returns its id."""
    with factory.begin() as session:
        contact = create_contact(
            session,
            owner_id,
            {"name": name, "contact_type": contact_type, **fields},
            today=TODAY,
        )
        for i, text in enumerate(notes or []):
            add_note(
                session,
                contact.id,
                note_author or owner_id,
                "internal",
                text,
                now=NOW + timedelta(minutes=i),
            )
        return contact.id


def add_file_row(factory: sessionmaker[Session], contact_id: int, name: str = "quote.pdf") -> None:
    """A file's database row only (no stored object): enough for counts and erasure."""
    with factory.begin() as session:
        session.add(
            File(
                contact_id=contact_id,
                file_name=name,
                file_type="application/pdf",
                file_size=3,
                storage_key=f"contacts/{contact_id}/{name}",
                category="quote",
            )
        )


def contacts(factory: sessionmaker[Session], *, deleted: bool | None = False) -> list[Contact]:
    """Contacts in the database (live by default; ``deleted=None`` for all), by id."""
    with factory() as session:
        stmt = select(Contact).order_by(Contact.id)
        if deleted is not None:
            stmt = stmt.where(
                Contact.deleted_at.is_not(None) if deleted else Contact.deleted_at.is_(None)
            )
        return list(session.scalars(stmt))


def count(factory: sessionmaker[Session], model: type[Any], **where: Any) -> int:
    with factory() as session:
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return int(session.scalar(stmt) or 0)


def notes_of(factory: sessionmaker[Session], contact_id: int) -> list[Note]:
    with factory() as session:
        return list(
            session.scalars(select(Note).where(Note.contact_id == contact_id).order_by(Note.id))
        )


def day_label(value: date) -> str:
    """How the bot writes a date: ``Tue 01 Dec 2026``."""
    return value.strftime("%a %d %b %Y")
