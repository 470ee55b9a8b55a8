"""The composition root read as data: the command menu is what the bot answers, and every
handler says what it does in one imperative line."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import CommandHandler, ConversationHandler

import bot
from bot import texts
from tests.unit.wiring import every_handler, wired_application

#: Commands that answer a question a form asks, which offers them itself ("/skip"), so they
#: are not in the menu.
IN_QUESTIONS_ONLY = frozenset({"skip"})
#: Commands the menu offers only when the bot is set up for them (/app: with PUBLIC_URL).
WHEN_CONFIGURED = frozenset({texts.APP_COMMAND[0]})


@pytest.fixture
def app(tmp_path: Path) -> Any:
    return wired_application(tmp_path)


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


#: JobQueue methods that schedule a callback (their first argument).
SCHEDULERS = frozenset({"run_once", "run_repeating", "run_daily", "run_monthly", "run_custom"})


def scheduled_jobs() -> Iterator[Callable[..., Any]]:
    """The callbacks bot/ hands to the JobQueue (scheduled at start or per update, so read
    from the source rather than from a built Application)."""
    root = Path(bot.__file__).parent
    for path in sorted(root.rglob("*.py")):
        module = importlib.import_module(
            ".".join(path.relative_to(root.parent).with_suffix("").parts).removesuffix(".__init__")
        )
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in SCHEDULERS
            ):
                first = node.args[0]
                assert isinstance(first, ast.Name), f"{path}: schedule a named function"
                yield getattr(module, first.id)


def test_the_jobs_are_found() -> None:
    names = {job.__qualname__ for job in scheduled_jobs()}
    assert {"_daily_housekeeping", "check", "sync_job", "_album_ready"} <= names


def summary_problem(callback: Callable[..., Any]) -> str | None:
    """What is wrong with the callback's docstring summary, if anything."""
    doc = inspect.getdoc(callback) or ""
    summary = doc.split("\n\n")[0]
    if "\n" in summary or not IMPERATIVE.match(summary) or not summary.endswith("."):
        return f"{callback.__module__}.{callback.__qualname__}: {summary!r}"
    return None


def test_every_handler_says_what_it_does_in_one_imperative_line(app: Any) -> None:
    callbacks = [
        handler.callback
        for handlers in app.handlers.values()
        for handler in every_handler(handlers)
    ]
    callbacks += list(app.error_handlers)
    callbacks += list(scheduled_jobs())
    assert len(callbacks) > 100
    assert [bad for cb in callbacks if (bad := summary_problem(cb))] == []


@pytest.mark.parametrize(
    "summary",
    [
        "Handles the card.",
        "Shows the card.",
        "This shows the card.",
        "A card.",
        "Show the card",
        "Show\nthe card.",
    ],
)
def test_the_docstring_check_refuses(summary: str) -> None:
    async def callback() -> None:
        pass

    callback.__doc__ = summary
    assert summary_problem(callback) is not None
