"""The CRM's services (``Crm``, kept in ``bot_data``) and ``in_transaction``, which runs database
work in a worker thread, never on the event loop. Handlers reach both through their context
(``bot.context.CrmContext``: ``context.crm``, ``context.run_db``)."""

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


async def in_transaction(
    factory: sessionmaker[Session],
    fn: Callable[Concatenate[Session, P], T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """``CrmContext.run_db`` for code without a handler's context (persistence, start-up, jobs)."""

    def work() -> T:
        with factory.begin() as session:
            return fn(session, *args, **kwargs)

    return await asyncio.to_thread(work)
