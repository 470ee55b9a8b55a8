"""What handlers share: the CRM's services and the one helper that runs database work in a
worker thread, never on the event loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Concatenate, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import claims
from crm_core.config import Settings
from crm_core.errors import ConfigError
from crm_core.models import utcnow
from crm_core.services.files import delete_objects, pending_deletes, record_deletes
from crm_core.storage import FileStore

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

BOT_DATA_KEY = "crm"


@dataclass
class Crm:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    #: Telegram user id -> users.id, filled at start from ADMIN_CHAT_IDS.
    user_ids: dict[int, int] = field(default_factory=dict)
    #: Telegram user id -> IANA timezone (the admin's own, else the global default).
    timezones: dict[int, str] = field(default_factory=dict)
    #: The clock every handler and job reads; tests replace it.
    clock: Callable[[], datetime] = utcnow
    #: Where file bytes live (S3 or a local folder); made by build_application.
    store: FileStore | None = None

    def file_store(self) -> FileStore:
        if self.store is None:
            raise ConfigError("No file storage is configured.")
        return self.store

    async def delete_objects(self, keys: list[str]) -> None:
        """Delete the objects of erased files (after the database commit), in a worker thread.
        A delete that fails is recorded and retried by the next purge run; objects whose
        deletes failed before are retried now too."""
        if self.store is None:
            if keys:
                log.warning("No file storage configured; %d objects left to delete", len(keys))
            return
        retry = await in_transaction(self.session_factory, pending_deletes)
        if keys or retry:
            report = await asyncio.to_thread(delete_objects, self.store, [*keys, *retry])
            await in_transaction(self.session_factory, record_deletes, report)

    def user_id(self, telegram_user_id: int) -> int:
        return self.user_ids[telegram_user_id]

    def today(self, telegram_user_id: int) -> date:
        return self.clock().astimezone(self.tz(telegram_user_id)).date()

    def tz(self, telegram_user_id: int) -> ZoneInfo:
        return ZoneInfo(self.timezones.get(telegram_user_id) or self.settings.timezone)


def crm(context: ContextTypes.DEFAULT_TYPE) -> Crm:
    return context.application.bot_data[BOT_DATA_KEY]


async def run_db(
    context: ContextTypes.DEFAULT_TYPE,
    fn: Callable[Concatenate[Session, P], T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """Run ``fn(session, ...)`` in one transaction in a worker thread; commit if it returns.

    The first such transaction of an update also claims the update (``bot.claims``): one
    transaction per update, and a redelivery raises ``DuplicateUpdate`` with nothing done."""
    claim = claims.pending()
    if claim is None:
        return await in_transaction(crm(context).session_factory, fn, *args, **kwargs)
    factory = crm(context).session_factory

    def work() -> T:
        with factory.begin() as session:
            result = fn(session, *args, **kwargs)
            claim.claim_in(session)  # last: a duplicate rolls the work back
        claim.state = claims.ClaimState.CLAIMED  # committed
        return result

    try:
        return await asyncio.to_thread(work)
    except claims.ClaimError as err:
        claim.state = claims.ClaimState.FAILED
        await context.application.process_error(claim.update, err.cause)
        raise ApplicationHandlerStop from err
    except claims.DuplicateUpdate:
        log.info("Dropped duplicate update %s", claim.update.update_id)
        raise


async def in_transaction(
    factory: sessionmaker[Session],
    fn: Callable[Concatenate[Session, P], T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """``run_db`` for code without a handler's context (persistence, start-up, jobs)."""

    def work() -> T:
        with factory.begin() as session:
            return fn(session, *args, **kwargs)

    return await asyncio.to_thread(work)


def me(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[int, date]:
    """The acting admin's users.id and local date."""
    assert update.effective_user is not None
    tg_id = update.effective_user.id
    services = crm(context)
    return services.user_id(tg_id), services.today(tg_id)
