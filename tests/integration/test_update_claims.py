"""The claim of an update folded into the handler's own transaction (bot/claims.py), on each
backend: committed with the handler's work, rolled back with it (a crash mid-handler leaves the
update to its redelivery), and a redelivery found out before anything is committed."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot import claims
from bot.context import CrmContext
from bot.runtime import BOT_DATA_KEY
from crm_core.models import BotState, ProcessedUpdate
from crm_core.services.updates import claim_update

BOT_ID = 77
UPDATE_ID = 5001


class Crash(BaseException):
    """The process dying mid-handler: nothing catches it, nothing reports it."""


class Application:
    """What ``CrmContext.run_db`` reads of PTB's Application: bot_data, and process_error."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.bot_data = {BOT_DATA_KEY: SimpleNamespace(session_factory=factory)}
        self.errors: list[BaseException] = []

    async def process_error(self, update: object, error: BaseException) -> bool:
        self.errors.append(error)
        return False


@pytest.fixture
def app(session_factory: sessionmaker[Session]) -> Application:
    return Application(session_factory)


@pytest.fixture
def delivered(app: Application, session_factory: sessionmaker[Session]) -> Any:
    """``delivered()``: a context for handling update UPDATE_ID (again), its claim pending
    (``run_db`` is a real ``CrmContext``'s; ``claim`` the claim it makes).
    (Each test runs in a task of its own: what it sets in ``CURRENT`` stays there.)"""

    def deliver() -> SimpleNamespace:
        update = Update(UPDATE_ID)
        engine = session_factory.kw["bind"]
        claim = claims.UpdateClaim(app, update, engine, BOT_ID, claim_update)  # type: ignore[arg-type]
        claims.CURRENT.set(claim)
        context = CrmContext(app)  # type: ignore[arg-type]  # a stand-in Application
        return SimpleNamespace(application=app, claim=claim, run_db=context.run_db)

    return deliver


def write(session: Session, value: str) -> str:
    session.add(BotState(namespace="user", key=f"{BOT_ID}/1", data=value))
    return value


def crash_after_write(session: Session) -> None:
    write(session, "half")
    session.flush()
    raise Crash


def counts(factory: sessionmaker[Session]) -> tuple[int, int]:
    with factory() as session:
        claimed = session.scalar(select(func.count()).select_from(ProcessedUpdate))
        written = session.scalar(select(func.count()).select_from(BotState))
        return int(claimed or 0), int(written or 0)


async def test_the_claim_commits_with_the_handlers_work(
    delivered: Any, session_factory: sessionmaker[Session]
) -> None:
    context = delivered()
    assert await context.run_db(write, "done") == "done"
    assert context.claim.state is claims.ClaimState.CLAIMED
    assert counts(session_factory) == (1, 1)
    # A second transaction of the same update claims nothing more.
    await context.run_db(lambda s: None)
    assert counts(session_factory) == (1, 1)


async def test_a_crash_mid_handler_leaves_the_update_to_its_redelivery(
    delivered: Any, session_factory: sessionmaker[Session]
) -> None:
    context = delivered()
    with pytest.raises(Crash):
        await context.run_db(crash_after_write)
    assert counts(session_factory) == (0, 0), "neither the work nor the claim"
    assert context.claim.state is claims.ClaimState.PENDING
    # Redelivered (after the restart): handled in full, once.
    again = delivered()
    await again.run_db(write, "whole")
    assert counts(session_factory) == (1, 1)


async def test_a_redelivery_is_found_out_before_anything_is_committed(
    delivered: Any, session_factory: sessionmaker[Session]
) -> None:
    await delivered().run_db(lambda s: None)
    again = delivered()
    with pytest.raises(claims.DuplicateUpdate):
        await again.run_db(write, "twice")
    assert again.claim.state is claims.ClaimState.DUPLICATE
    assert counts(session_factory) == (1, 0), "the redelivery's work rolled back"
    # Nor may it reach Telegram: its Bot API calls stop before they are made.
    with pytest.raises(claims.DuplicateUpdate):
        await again.claim.ensure()


async def test_a_claim_made_alone_before_a_bot_api_call_stops_a_redelivery(
    delivered: Any, session_factory: sessionmaker[Session]
) -> None:
    first = delivered()
    await first.claim.ensure()  # a handler that talks before touching the database
    assert first.claim.state is claims.ClaimState.CLAIMED
    again = delivered()
    with pytest.raises(claims.DuplicateUpdate):
        await again.run_db(write, "twice")
    assert counts(session_factory) == (1, 0)


async def test_a_failing_claim_is_reported_once_and_stops_the_update(
    delivered: Any, app: Application, session_factory: sessionmaker[Session]
) -> None:
    context = delivered()

    def locked(*args: Any) -> bool:
        raise RuntimeError("database is locked")

    context.claim.claim = locked
    with pytest.raises(ApplicationHandlerStop):
        await context.run_db(write, "unclaimed")
    assert [str(e) for e in app.errors] == ["database is locked"]
    assert context.claim.state is claims.ClaimState.FAILED
    assert counts(session_factory) == (0, 0)
    await context.claim.ensure()  # the apology goes out; nothing claims again
    assert len(app.errors) == 1
