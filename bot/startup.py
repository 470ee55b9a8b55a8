"""Start-up that fails in one sentence, and recovers where it can.

``bot.app.run`` goes through these before the bot takes updates:

1. the settings (``main``: a missing token or admin; ``run``: SQLite or local files on a Heroku
   dyno) - ``ConfigError``, exit status 2;
2. the database: reachable and at the code's schema (``build_application`` migrates SQLite
   first; PostgreSQL is migrated by ``crm db upgrade`` in the release phase) - ``StartupError``;
3. Telegram: getMe, retried with capped exponential back-off while Telegram can't be reached
   (one log line per attempt, naming the host), so a dyno that boots during an outage waits
   instead of crash-looping; a rejected token is a ``StartupError`` showing only its last four
   characters;
4. when polling, a webhook already set for the bot is named: polling removes it, and the
   deployment it points to stops getting updates.

While polling, Telegram's 409 Conflict means a second consumer of the token. One 409 is what a
restart's overlap looks like (the old process's last getUpdates) and passes; several within a
minute, or a webhook set meanwhile, stop the bot with one sentence and exit status 1.

The whole token never reaches a log: ``redact_token_in_logs`` filters the root handlers (httpx
logs request URLs, which hold the token; PTB's InvalidToken message quotes it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from crm_core.config import Settings, mask_token, redact_url
from crm_core.errors import DatabaseNotReady
from crm_core.migrate import driver_reason, require_schema

log = logging.getLogger(__name__)

#: The longest wait between two attempts to reach Telegram at start, in seconds.
MAX_RETRY_DELAY = 60.0
#: This many 409 Conflicts within CONFLICT_WINDOW seconds mean another poller, not a restart.
CONFLICT_LIMIT = 3
CONFLICT_WINDOW = 60.0
#: bot_data key of the process's exit status, set when the bot stops itself.
EXIT_STATUS = "exit_status"
#: bot_data key of the callable that stops web/server.py's serving (PTB's ``stop_running`` only
#: stops its own ``run_*`` loops).
STOP_SERVING = "stop_serving"
_CONFLICTS = "conflicts"

ANOTHER_POLLER = (
    "Another process keeps taking this bot's updates (409 Conflict from Telegram): stop it "
    "(a second crm-bot, or both a web and a worker dyno scaled up) so that only one runs, or "
    "give this one its own bot from @BotFather."
)
WEBHOOK_WHILE_POLLING = (
    "A webhook was set for this bot while this process was polling (409 Conflict), so Telegram "
    "now sends its updates there: stop this process and use a second bot from @BotFather for "
    "local development, or set WEBHOOK_URL if this process should take the updates."
)


class StartupError(Exception):
    """The bot can't start; ``str()`` is one sentence saying why and what to do."""


# --- the token never in a log ----------------------------------------------------------------


class TokenRedactor(logging.Filter):
    """Replaces the bot token in a record's message, exception and stack text by its last
    four characters. Put it on handlers: a logger's filter doesn't see its children's
    records."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token
        self._shown = f"<token {mask_token(token)}>"

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._token in message:
            record.msg, record.args = message.replace(self._token, self._shown), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self._token in record.exc_text:
            record.exc_text = record.exc_text.replace(self._token, self._shown)
        if record.stack_info and self._token in record.stack_info:
            record.stack_info = record.stack_info.replace(self._token, self._shown)
        return True


def redact_token_in_logs(token: str | None) -> None:
    """Filter every handler of the root logger (configure logging first)."""
    if not token:
        return
    redactor = TokenRedactor(token)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)


# --- the database ----------------------------------------------------------------------------


def database_error(url: str, err: SQLAlchemyError) -> StartupError:
    """One sentence for a database that failed while the bot was being built."""
    return StartupError(f"Can't open the database {redact_url(url)}: {driver_reason(err)}.")


def require_database(url: str) -> None:
    """The database answers and has the code's schema, else ``StartupError`` (the URL's
    password hidden; "run `crm db upgrade`" when the schema is missing or older)."""
    try:
        require_schema(url)
    except DatabaseNotReady as err:
        raise StartupError(str(err)) from None


# --- Telegram --------------------------------------------------------------------------------


def api_host(settings: Settings) -> str:
    return urlsplit(settings.telegram_api_base_url).netloc or settings.telegram_api_base_url


async def wait_for_telegram(
    bot: Bot,
    host: str,
    *,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    first_delay: float = 1.0,
    max_delay: float = MAX_RETRY_DELAY,
) -> None:
    """Initialise ``bot`` (getMe), waiting out an unreachable Telegram: 1, 2, 4 ... seconds
    between attempts, at most ``max_delay``, one warning per failed attempt. A rejected token
    raises ``StartupError``."""
    delay = first_delay
    attempt = 0
    while True:
        attempt += 1
        try:
            await bot.initialize()
            return
        except InvalidToken:
            await bot.shutdown()
            raise StartupError(
                f"Telegram rejected the bot token ending {mask_token(bot.token)}: copy it "
                "again from @BotFather (/mybots, API Token) into TELEGRAM_BOT_TOKEN."
            ) from None
        except (NetworkError, RetryAfter) as err:  # a flood wait backs off the same way
            log.warning(
                "Telegram (%s) can't be reached (attempt %d: %s): retrying in %.0f s",
                host,
                attempt,
                err,
                delay,
            )
        await sleep(delay)
        delay = min(delay * 2, max_delay)


async def reach_telegram(bot: Bot, settings: Settings) -> None:
    """Wait for Telegram; when polling, name a webhook that polling is about to remove."""
    host = api_host(settings)
    await wait_for_telegram(bot, host)
    if settings.webhook_url:
        return
    try:
        info = await bot.get_webhook_info()
    except TelegramError as err:
        log.warning("Couldn't read the bot's webhook from %s: %s", host, err)
        return
    if info.url:
        log.warning(
            "A webhook is set for this bot (%s) and this process polls, which removes it: if "
            "another deployment uses this bot, stop this process and use a second bot from "
            "@BotFather for local development.",
            urlsplit(info.url).netloc or info.url,
        )


# --- 409 Conflict while polling --------------------------------------------------------------


class ConflictWatch:
    """Counts 409 Conflicts in a sliding window (see the module docstring)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._seen: deque[float] = deque()

    def persists(self) -> bool:
        now = self._clock()
        self._seen.append(now)
        while self._seen and now - self._seen[0] > CONFLICT_WINDOW:
            self._seen.popleft()
        return len(self._seen) >= CONFLICT_LIMIT


def on_conflict(application: Application, error: Conflict) -> None:
    """What the error handler does with a 409 from getUpdates: let one pass, otherwise say
    what to do and stop the process with exit status 1."""
    if "webhook" in str(error).lower():
        log.error(WEBHOOK_WHILE_POLLING)
    else:
        watch: ConflictWatch = application.bot_data.setdefault(_CONFLICTS, ConflictWatch())
        if not watch.persists():
            log.warning(
                "Telegram answered 409 Conflict to getUpdates; retrying (a restart's "
                "overlap passes by itself)"
            )
            return
        log.error(ANOTHER_POLLER)
    application.bot_data[EXIT_STATUS] = 1
    # Stopping, PTB's updater confirms the updates in hand with one more getUpdates, which gets
    # the same 409 and would add a traceback to the sentence above (the updates are
    # deduplicated on the next start anyway).
    logging.getLogger("telegram.ext.Updater").addFilter(_no_conflict_tracebacks)
    stop = application.bot_data.get(STOP_SERVING)
    if stop is not None:
        stop()
    else:
        application.stop_running()


def _no_conflict_tracebacks(record: logging.LogRecord) -> bool:
    return not (record.exc_info and isinstance(record.exc_info[1], Conflict))
