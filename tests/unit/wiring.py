"""The real Application, wired but connected to nothing, and a walk over its handlers: what
the tests of the command menu, the handlers' docstrings and the buttons read."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from telegram.ext import Application, BaseHandler, ConversationHandler

from bot.app import build_application
from crm_core.config import Settings
from tests.conftest import ALICE


def wired_application(files: Path) -> Application[Any, Any, Any, Any, Any, Any]:
    """Building the Application only wires handlers together: nothing is connected to."""
    settings = Settings(
        telegram_token="123:abc",
        admins=(ALICE,),
        database_url="sqlite://",
        file_storage_dir=files,
    )
    return build_application(settings, engine=create_engine("sqlite://"), migrate_sqlite=False)


def every_handler(
    handlers: Iterable[BaseHandler[Any, Any, Any]],
) -> Iterator[BaseHandler[Any, Any, Any]]:
    """Each handler, those inside conversations (entry points, states, fallbacks) included."""
    for handler in handlers:
        if isinstance(handler, ConversationHandler):
            yield from every_handler(handler.entry_points)
            for state in handler.states.values():
                yield from every_handler(state)
            yield from every_handler(handler.fallbacks)
        else:
            yield handler
