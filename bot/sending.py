"""Sending scheduled messages robustly: retries with back-off, and an outcome for the ledger.

The Application's ``AIORateLimiter`` keeps the bot under Telegram's flood limits and already
retries a 429 a few times (waiting ``retry_after``). What still reaches us — a 429 after those
retries, a timeout, a dropped connection — is retried here with back-off, honouring
``retry_after``, until a deadline. Permanent refusals are not retried: 403 (the admin blocked
the bot) and 400s such as "chat not found" (they never pressed Start).

Note: a timeout can hide a message Telegram did deliver; retrying it may show it twice. That is
the price of not losing a digest, and it needs a network fault at that very moment.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from crm_core.schedule import DeliveryStatus

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_TRIES = 5
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0
#: 400 answers that mean "there is no chat with this person", not a bug of ours.
UNREACHABLE_HINTS = ("chat not found", "user not found", "peer_id_invalid", "chat_id is empty")


def retry_seconds(err: RetryAfter) -> float:
    """``retry_after`` in seconds (PTB 22 warns when it is read as an int; either is fine)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = err.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def with_retries(
    send: Callable[[], Awaitable[T]],
    *,
    deadline: float,
    tries: int = MAX_TRIES,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> T:
    """Call ``send`` until it succeeds; retry 429s (after ``retry_after``) and network errors
    (after 1, 2, 4… s) while tries and the deadline (a ``clock`` value) allow; re-raise else."""
    backoff = FIRST_BACKOFF
    for attempt in range(1, tries + 1):
        try:
            return await send()
        except (BadRequest, Forbidden):
            raise
        except RetryAfter as err:
            wait = retry_seconds(err) + 0.1
            reason: TelegramError = err
        except NetworkError as err:  # includes TimedOut
            wait, backoff = backoff, min(backoff * 2, MAX_BACKOFF)
            reason = err
        if attempt == tries or clock() + wait > deadline:
            raise reason
        log.warning(
            "Send failed (%s), try %d of %d; retrying in %.1fs", reason, attempt, tries, wait
        )
        await sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def classify(err: TelegramError) -> DeliveryStatus:
    """The ledger status of an error that ended a delivery."""
    if isinstance(err, Forbidden):  # blocked; or never started the bot, or deleted account
        blocked = "blocked" in str(err).lower()
        return DeliveryStatus.BLOCKED if blocked else DeliveryStatus.UNREACHABLE
    if isinstance(err, BadRequest) and any(h in str(err).lower() for h in UNREACHABLE_HINTS):
        return DeliveryStatus.UNREACHABLE
    return DeliveryStatus.FAILED


@dataclass(frozen=True, slots=True)
class Delivery:
    status: DeliveryStatus
    parts_sent: int
    error: str | None = None


async def deliver(
    bot: Bot,
    chat_id: int,
    messages: Sequence[tuple[str, InlineKeyboardMarkup | None]],
    *,
    start: int = 0,
    deadline: float,
    on_sent: Callable[[int], Awaitable[object]] | None = None,
) -> Delivery:
    """Send ``messages[start:]`` in order, each with retries; stop at the first that can't go.
    ``on_sent(n)`` is awaited after each message with the number delivered so far."""
    sent = start
    for text, markup in messages[start:]:
        try:
            await with_retries(
                functools.partial(
                    bot.send_message, chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
                ),
                deadline=deadline,
            )
        except TelegramError as err:
            name = type(err).__name__
            reason = str(err) if str(err).startswith(name) else f"{name}: {err}"
            return Delivery(classify(err), sent, reason)
        sent += 1
        if on_sent is not None:
            await on_sent(sent)
    return Delivery(DeliveryStatus.SENT, sent)
