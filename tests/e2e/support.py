"""Small helpers shared by the gate, delivery and running e2e tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from crm_core.models import Contact, User
from crm_core.services.contacts import create_contact
from tests.botapi import BotApiDouble

#: Tables a refused or ignored update must leave untouched.
WATCHED_TABLES = ("crm_contacts", "crm_notes", "bot_state", "bot_processed_updates")


def row_counts(engine: Engine, tables: Iterable[str] = WATCHED_TABLES) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: int(conn.scalar(text(f"SELECT count(*) FROM {name}")) or 0)  # noqa: S608
            for name in tables
        }


def add_contact(engine: Engine, telegram_user_id: int, name: str, **fields: Any) -> int:
    """Create a contact owned by an admin (who must exist: start the bot first) and return
    its id."""
    with Session(engine) as session, session.begin():
        owner = session.scalar(select(User).where(User.telegram_user_id == telegram_user_id))
        assert owner is not None, "start the bot (or use the admins fixture) first"
        values = {"name": name, "contact_type": "eviction_client", **fields}
        return create_contact(session, owner.id, values, today=date.today()).id


def live_contacts(engine: Engine) -> int:
    with Session(engine) as session:
        return int(
            session.scalar(
                select(func.count()).select_from(Contact).where(Contact.deleted_at.is_(None))
            )
            or 0
        )


def api_calls_since(double: BotApiDouble, mark: int) -> list[str]:
    """Methods the bot called since ``mark`` (an index into double.requests), polls excluded."""
    return [r.method for r in double.requests[mark:] if r.method != "getUpdates"]
