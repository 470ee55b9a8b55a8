"""The composition root read as data: the command menu is what the bot answers, and every
handler says what it does in one imperative line."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler

from bot import texts
from bot.app import build_application
from crm_core.config import Settings
from tests.conftest import ALICE

#: Commands that answer a question a form asks, which offers them itself ("/skip"), so they
#: are not in the menu.
IN_QUESTIONS_ONLY = frozenset({"skip"})
#: Commands the menu offers only when the bot is set up for them (/app: with PUBLIC_URL).
WHEN_CONFIGURED = frozenset({texts.APP_COMMAND[0]})


@pytest.fixture
def app(tmp_path: Path) -> Any:
    settings = Settings(
        telegram_token="123:abc",
        admins=(ALICE,),
        database_url="sqlite://",
        file_storage_dir=tmp_path,
    )
    # Nothing is connected to: building the Application only wires handlers together.
    return build_application(settings, engine=create_engine("sqlite://"), migrate_sqlite=False)


def every_handler(
    handlers: Iterable[BaseHandler[Any, Any, Any]],
) -> Iterator[BaseHandler[Any, Any, Any]]:
    for handler in handlers:
        if isinstance(handler, ConversationHandler):
            yield from every_handler(handler.entry_points)
            for state in handler.states.values():
                yield from every_handler(state)
            yield from every_handler(handler.fallbacks)
        else:
            yield handler


def commands_answered(app: Any) -> set[str]:
    """The commands a handler starts something for: top-level command handlers and the forms'
    entry points (not a form's own /cancel or its way out, which every menu command is)."""
    found: set[str] = set()
    for handlers in app.handlers.values():
        for handler in handlers:
            starters = (
                handler.entry_points if isinstance(handler, ConversationHandler) else [handler]
            )
            for starter in starters:
                if isinstance(starter, CommandHandler):
                    found |= starter.commands
    return found


def test_the_command_menu_is_exactly_the_commands_registered(app: Any) -> None:
    menu = [name for name, _ in texts.COMMANDS]
    assert len(menu) == len(set(menu)), "a command twice in the menu"
    assert not (IN_QUESTIONS_ONLY | WHEN_CONFIGURED) & set(menu)
    assert commands_answered(app) == set(menu) | IN_QUESTIONS_ONLY | WHEN_CONFIGURED


#: "Show the card", not "Shows the card", "A card" or "/list: the contacts".
IMPERATIVE = re.compile(r"(?!(?:A|An|The) )[A-Z][a-z]*(?<![^s]s) ")


def test_every_handler_says_what_it_does_in_one_imperative_line(app: Any) -> None:
    bad = []
    for handlers in app.handlers.values():
        for handler in every_handler(handlers):
            doc = inspect.getdoc(handler.callback) or ""
            summary = doc.split("\n\n")[0]
            if "\n" in summary or not IMPERATIVE.match(summary) or not summary.endswith("."):
                bad.append(
                    f"{handler.callback.__module__}.{handler.callback.__qualname__}: {summary!r}"
                )
    assert bad == []
