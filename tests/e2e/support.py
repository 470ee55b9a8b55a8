"""Small helpers shared by the gate, delivery and running e2e tests."""

from __future__ import annotations

import socket
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application, ContextTypes

from crm_core.models import User
from sandbox import BotApiDouble
from tests.e2e.flows import contacts, seed

#: Tables a refused or ignored update must leave untouched.
WATCHED_TABLES = ("crm_contacts", "crm_notes", "bot_state", "bot_processed_updates")


def row_counts(engine: Engine, tables: Iterable[str] = WATCHED_TABLES) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: int(conn.scalar(text(f"SELECT count(*) FROM {name}")) or 0)  # noqa: S608
            for name in tables
        }


def add_contact(engine: Engine, telegram_user_id: int, name: str, **fields: Any) -> int:
    """Create a contact owned by an admin known by Telegram id (who must exist: start the bot
    first) and return its id; ``flows.seed`` does the creating."""
    with Session(engine) as session:
        owner_id = session.scalar(select(User.id).where(User.telegram_user_id == telegram_user_id))
    assert owner_id is not None, "start the bot (or use the admins fixture) first"
    return seed(sessionmaker(engine), owner_id, name, **fields)


def live_contacts(engine: Engine) -> int:
    return len(contacts(sessionmaker(engine)))


def api_calls_since(double: BotApiDouble, mark: int) -> list[str]:
    """Methods the bot called since ``mark`` (an index into double.requests), polls excluded."""
    return [r.method for r in double.requests[mark:] if r.method != "getUpdates"]


def free_port() -> int:
    """A port nobody listens on now (for a server whose own address must be known first)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def collect_errors(app: Application) -> list[BaseException]:  # type: ignore[type-arg]
    """The exceptions the bot's handlers raise from now on (``running()`` does this itself)."""
    errors: list[BaseException] = []

    async def collect(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if context.error is not None:
            errors.append(context.error)

    app.add_error_handler(collect)
    return errors
