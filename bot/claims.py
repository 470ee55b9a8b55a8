"""The claim of the update being handled, folded into the handler's own transaction.

Telegram delivers at least once (a webhook retry, a restart before the offset was confirmed);
``bot_processed_updates`` makes that exactly once. Claiming in a transaction of its own before
every update cost a worker-thread hop, a connection and a commit per update, and still lost the
update when the bot crashed between that commit and the handler's. So the claim is made where
the update first has an effect, whichever comes first:

- its first database transaction (``run_db``): the claim's INSERT is the transaction's last
  statement, committed with the handler's work or rolled back with it (a crash mid-handler
  leaves nothing claimed, and the redelivery is handled in full);
- its first Bot API call (``ClaimingRequest``), for a handler that talks before it touches the
  database: claimed alone first, as before;
- the end of its handling, for an update that did neither.

A redelivery is found out at that point and stops there (``DuplicateUpdate``), before anything
is sent or committed. Only updates that can't have changed anything in memory before that point
are claimed lazily (``gate.dedupe`` decides); the rest are claimed alone before any handler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session
from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop

from bot.transport import AiohttpRequest

log = logging.getLogger(__name__)

ClaimFn = Callable[[Session | Connection, int, int], bool]


class DuplicateUpdate(ApplicationHandlerStop):
    """A redelivered update, found out by its claim: it stops here, silently."""


class ClaimError(Exception):
    """The claim statement failed (``cause`` says why); the transaction is rolled back."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


class ClaimState(Enum):
    PENDING = "pending"
    CLAIMED = "claimed"
    DUPLICATE = "duplicate"
    #: The claim itself failed (database down or locked): reported once, nothing more done.
    FAILED = "failed"


@dataclass(eq=False)
class UpdateClaim:
    """The claim of one update, shared by its handler, its worker threads and its Bot API
    calls (through ``CURRENT``)."""

    application: Application[Any, Any, Any, Any, Any, Any]
    update: Update
    engine: Engine
    bot_id: int
    claim: ClaimFn
    state: ClaimState = ClaimState.PENDING

    def claim_in(self, session: Session) -> None:
        """Claim inside ``session``'s transaction (its last statement); raise
        ``DuplicateUpdate`` on a redelivery. The state is settled by ``settle`` once the
        transaction has committed (a rollback leaves it pending); a failing claim statement
        raises ``ClaimError``."""
        try:
            fresh = self.claim(session, self.bot_id, self.update.update_id)
        except Exception as err:
            raise ClaimError(err) from err
        if not fresh:
            self.state = ClaimState.DUPLICATE
            raise DuplicateUpdate

    def _claim_alone(self) -> bool:
        # A bare connection in AUTOCOMMIT mode: one statement, its own transaction.
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
            return self.claim(db, self.bot_id, self.update.update_id)

    async def ensure(self) -> None:
        """Before an effect outside the database: claim alone if nothing has claimed yet.
        A redelivery raises ``DuplicateUpdate``; a claim that fails is reported like any
        failure (the admin hears nothing was saved) and stops the update."""
        if self.state is ClaimState.PENDING:
            try:
                fresh = await asyncio.to_thread(self._claim_alone)
            except Exception as err:
                self.state = ClaimState.FAILED
                await self.application.process_error(self.update, err)
                raise ApplicationHandlerStop from err
            self.state = ClaimState.CLAIMED if fresh else ClaimState.DUPLICATE
            if not fresh:
                log.info("Dropped duplicate update %s", self.update.update_id)
        if self.state is ClaimState.DUPLICATE:
            raise DuplicateUpdate


#: The claim of the update this task is handling (None outside an update, or once claimed
#: before the handlers, or for an update nobody claims: a refused one).
CURRENT: ContextVar[UpdateClaim | None] = ContextVar("update_claim", default=None)


def pending() -> UpdateClaim | None:
    claim = CURRENT.get()
    return claim if claim is not None and claim.state is ClaimState.PENDING else None


class ClaimingRequest(AiohttpRequest):
    """The bot's HTTP client for Bot API calls (``bot.transport``), claiming the update being
    handled (if nothing has) before its first call: nothing is sent for a redelivered update.

    ``post`` is marked final in PTB, but it is the one way in of every Bot API call, and the
    only one that can stop the update: whatever ``do_request`` raises becomes a NetworkError."""

    async def post(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]  # see above
        claim = CURRENT.get()
        if claim is not None and claim.state in (ClaimState.PENDING, ClaimState.DUPLICATE):
            await claim.ensure()
        return await super().post(*args, **kwargs)
