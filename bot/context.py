"""The context every handler, job and error handler gets: typed access to the CRM in one hop.

PTB builds one per update (``from_update``), per job run (``from_job``) and per error
(``from_error``) from ``ContextTypes(context=CrmContext)`` (bot/app.py), as in PTB's
``contexttypesbot`` example. Everything here is a property read when asked for, so building a
context stays as cheap as PTB's own.

The acting user is the Telegram user the context was made for: the update's sender, or the
``user_id`` a job was scheduled with. A repeating job and an error outside an update have none:
``admin``, ``tz``, ``today`` and ``user_state`` then raise ``NoActingUserError`` rather than guess.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date
from typing import Any, Concatenate, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from telegram.ext import ApplicationHandlerStop, CallbackContext, ExtBot

from bot import claims
from bot.runtime import BOT_DATA_KEY, Crm, in_transaction

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


class NoActingUserError(RuntimeError):
    """A property of the acting user read where there is none (a repeating job, say)."""


class CrmContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's ``CallbackContext`` with the CRM's services and the acting admin's facts."""

    __slots__ = ()

    @property
    def crm(self) -> Crm:
        """The CRM's services (settings, database, clock, file store)."""
        services: Crm = self.bot_data[BOT_DATA_KEY]
        return services

    @property
    def telegram_id(self) -> int:
        """The acting user's Telegram id."""
        if self._user_id is None:
            raise NoActingUserError("this context was made without a user (a job or a bare error)")
        return self._user_id

    @property
    def admin(self) -> int:
        """The acting admin's ``users.id`` (the gate lets only admins through)."""
        return self.crm.user_id(self.telegram_id)

    @property
    def tz(self) -> ZoneInfo:
        """The acting admin's timezone (their own, else the global default)."""
        return self.crm.tz(self.telegram_id)

    @property
    def today(self) -> date:
        """The acting admin's local date, by the CRM's clock."""
        return self.crm.today(self.telegram_id)

    @property
    def user_state(self) -> dict[Any, Any]:
        """The acting user's ``user_data`` (forms' drafts, lists' pages, pending files)."""
        data = self.user_data
        if data is None:
            raise NoActingUserError("user_data needs a user (a job or a bare error has none)")
        return data

    async def run_db(
        self,
        fn: Callable[Concatenate[Session, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run ``fn(session, ...)`` in one transaction in a worker thread; commit if it returns.

        The first such transaction of an update also claims the update (``bot.claims``): one
        transaction per update, and a redelivery raises ``DuplicateUpdate`` with nothing done."""
        factory = self.crm.session_factory
        claim = claims.pending()
        if claim is None:
            return await in_transaction(factory, fn, *args, **kwargs)

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
            await self.application.process_error(claim.update, err.cause)
            raise ApplicationHandlerStop from err
        except claims.DuplicateUpdate:
            log.info("Dropped duplicate update %s", claim.update.update_id)
            raise
