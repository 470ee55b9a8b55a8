"""Decorators and reply helpers shared by every handler module.

``on_button`` decodes callback data with the one codec, turns typed CRM errors into a friendly
answer and guarantees that every callback query is answered. ``step`` marks a conversation step
as having consumed the update, so later handler groups don't see it too.

One form at a time: every form (conversation) keeps its draft in ``user_data`` under a key of
``FORM_KEYS`` and starts with ``start_form``, which drops the other drafts; a step that finds
its draft gone returns ``LEFT`` so the update reaches the form or feature it is meant for.
What leaves a form: /cancel, a command of the menu, and a button of another message, unless
that button answers a question the bot asked on its own meanwhile (``ASIDE_ACTIONS``). A
mistyped command, /skip where nothing can be skipped, and those answers leave it open.
"""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
)

from bot import texts
from bot.actions import (
    ATTACH_CANCEL,
    ATTACH_CATEGORY,
    ATTACH_CHANGE,
    ATTACH_CONTACT,
    ATTACH_RETRY,
    ATTACH_SEARCH,
    ATTACH_SET,
    ITEM_ACTIONS,
)
from bot.callbacks import Cb, StaleButton
from bot.context import CrmContext
from crm_core.errors import CRMError, NotFound

log = logging.getLogger(__name__)

#: The context of every handler, job and error handler (``ContextTypes`` in bot/app.py).
Ctx = CrmContext
R = TypeVar("R")
#: What PTB calls: a coroutine function of the update and the context.
Callback = Callable[[Update, Ctx], Coroutine[Any, Any, R]]


class Toast(str):
    """Returned by an ``on_button`` function: the text the query is answered with (a short
    notice over the chat) instead of a silent answer. A conversation step that returns one
    stays in its state (a stale or out-of-turn button is refused, the form goes on)."""

    __slots__ = ()


#: What ``on_button`` wraps: the callback with the decoded button, returning a ``Toast`` to
#: answer the query with a notice, or its own result (a conversation's next state).
ButtonFn = Callable[[Update, Ctx, Cb], Coroutine[Any, Any, R | Toast]]


def on_button(fn: ButtonFn[R]) -> Callback[R | None]:
    """Decode the button, run ``fn``, answer the query (with the error sentence if any).
    ``None`` comes back when the button was stale, failed with a CRM error or got a toast.

    The one place a stale button is answered: a payload the codec or the action's argument
    shape refuses (``StaleButton``) gets ``texts.STALE_BUTTON``."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: Ctx) -> R | None:
        query = update.callback_query
        assert query is not None
        answer: str | None = None
        try:
            result = await fn(update, context, Cb.decode(query.data))
            if isinstance(result, Toast):  # a short confirmation on the phone
                answer = str(result)
                return None
            return result
        except StaleButton:  # unreadable: by the codec, or by an ``Action.arg`` in ``fn``
            answer = texts.STALE_BUTTON
            return None
        except NotFound as err:
            answer = str(err) or texts.GONE
            return None
        except CRMError as err:
            answer = str(err)
            return None
        finally:
            await _answer(query, answer)

    return wrapper


async def _answer(query: Any, text: str | None) -> None:
    try:
        await query.answer(text[:200] if text else None, show_alert=bool(text and len(text) > 60))
    except BadRequest as err:  # answered already, or too old: nothing left to tell
        log.debug("Couldn't answer callback query: %s", err)


#: The ``user_data`` keys of the forms (conversations) a user can be half-way through.
FORM_KEYS: tuple[str, ...] = (
    "add",
    "note",
    "edit",
    "followup",
    "settings",
    "attach_search",
    "job",  # issue 12: Add job
    "lost_reason",  # issue 12: why a deal was lost
    "email",  # issue 13: /email
)

#: Buttons of questions the bot asks on its own, whatever the admin is doing: a file waiting
#: for its contact or category (and the search for one), a saved file's category, the digest's
#: and reminders' item buttons. Answering one mid-form leaves the form open.
ASIDE_ACTIONS = (
    frozenset[str](
        {
            ATTACH_CONTACT,
            ATTACH_CATEGORY,
            ATTACH_CANCEL,
            ATTACH_RETRY,
            ATTACH_SEARCH,
            ATTACH_CHANGE,
            ATTACH_SET,
        }
    )
    | ITEM_ACTIONS
)
#: The commands that open something else: typed mid-form, they leave it (others don't).
LEAVING_COMMANDS: tuple[str, ...] = tuple(name for name, _ in texts.COMMANDS if name != "cancel")


def other_button(data: object) -> bool:
    """A button that leaves a form: anything but the answer to a question asked aside."""
    action = str(data).partition(":")[0]
    return action not in ASIDE_ACTIONS


class _Left(int):
    """The type of ``LEFT``."""

    __slots__ = ()


#: Returned by a step whose form was left for another: ends it (it equals END) and, unlike
#: any other state, lets the update go on to the form or feature it is really for.
LEFT = _Left(ConversationHandler.END)


def start_form(
    context: Ctx, key: str, draft: dict[str, Any], *, aside: bool = False
) -> dict[str, Any]:
    """Begin the form kept under ``user_data[key]``, dropping any other left half-done.

    One form at a time: a conversation in a busier handler group never sees the update that
    starts another form, so each form's steps check that their draft is still there, and
    return ``LEFT`` when it isn't (a note typed after starting /add is not an edit).
    An ``aside`` form answers a question the bot asked on its own (which contact a file is
    for): it keeps the open form, taken up again once the aside is answered (its conversation
    comes first, so meanwhile typed text is its own).
    """
    if not aside:
        for other in FORM_KEYS:
            if other != key:
                context.user_state.pop(other, None)
    context.user_state[key] = draft
    return draft


def form_exits(key: str) -> list[BaseHandler[Update, Ctx, object]]:
    """The ways out of the form kept under ``user_data[key]``, for its ``fallbacks``:
    /cancel drops it and says so; a menu command or another message's button drops it
    silently and goes on to where it belongs. Any other command (a typo, /skip) and the
    answers to questions asked aside go on without ending the form."""

    @step
    async def cancel_command(update: Update, context: Ctx) -> int:
        """Leave the form (/cancel), unless it was already left for another."""
        if context.user_state.pop(key, None) is None:
            return LEFT  # already left for another form: "/cancel" is for that one
        await reply(update, texts.CANCELLED)
        return ConversationHandler.END

    async def other_input(update: Update, context: Ctx) -> int:
        """Drop the form so that the command or button pressed instead runs."""
        context.user_state.pop(key, None)
        return ConversationHandler.END

    return [
        CommandHandler("cancel", cancel_command),
        CommandHandler(LEAVING_COMMANDS, other_input),
        CallbackQueryHandler(other_input, pattern=other_button),
    ]


def step(fn: Callback[int | None]) -> Callback[int]:
    """A conversation step: returns the next state and stops other groups seeing the update
    (``None`` keeps the state, as for a stale button).
    A contact deleted meanwhile ends the form with that sentence instead of an error. Any
    other failure is reported (logged, the admin told) and the update stops here too, the
    form staying where it was: a failed answer must not also become a search."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: Ctx) -> int:
        try:
            state = await fn(update, context)
        except NotFound as err:
            await reply(update, html.escape(str(err) or texts.GONE))
            state = ConversationHandler.END
        except ApplicationHandlerStop:
            raise
        except Exception as err:
            await context.application.process_error(update, err)
            raise ApplicationHandlerStop from err  # no new state: the form stays put
        if state is LEFT:
            return state
        raise ApplicationHandlerStop(state)

    return wrapper


def button_step(fn: ButtonFn[int]) -> Callback[int]:
    """A conversation step reached by a button: decoded, answered, and consuming the update."""
    return step(on_button(fn))


async def reply(
    update: Update,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    edit: bool = False,
) -> Message | None:
    """Edit the message a button sits on (when ``edit``), else send a new message."""
    query = update.callback_query
    if edit and query is not None and query.message is not None:
        try:
            result = await query.edit_message_text(
                text, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        except BadRequest as err:
            if "not modified" in str(err).lower():
                return None
            raise
        return result if isinstance(result, Message) else None
    chat = update.effective_chat
    assert chat is not None
    return await chat.send_message(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def unclaimed_button(update: Update, context: Ctx) -> None:
    """Answer a button no handler claimed, so that the phone stops spinning.

    A finished form's, an old bot version's, or a forged one.
    """
    if update.callback_query is not None:
        await _answer(update.callback_query, texts.STALE_BUTTON)


def text_of(update: Update) -> str:
    message = update.effective_message
    return (message.text or "") if message else ""
