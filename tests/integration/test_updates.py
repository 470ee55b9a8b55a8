"""The update ledger: each bot's Telegram update id is claimed once, on each backend."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.models import ProcessedUpdate, utcnow
from crm_core.services.updates import claim_update, prune_updates

BOT = 123


def test_an_update_id_is_claimed_once(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        assert claim_update(session, BOT, 41) is True
        assert claim_update(session, BOT, 41) is False  # in the same transaction
        assert claim_update(session, BOT, 42) is True
    with session_factory.begin() as session:
        assert claim_update(session, BOT, 41) is False  # after the commit
        assert claim_update(session, BOT, 2**40) is True  # ids are 64-bit
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 3
        received = session.scalar(select(ProcessedUpdate.received_at).limit(1))
        assert received is not None


def test_a_failed_claim_leaves_the_transaction_usable(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        claim_update(session, BOT, 7)
    with session_factory.begin() as session:
        assert claim_update(session, BOT, 7) is False
        # The caller carries on in the same session.
        session.add(ProcessedUpdate(bot_id=BOT, update_id=8))
    with session_factory() as session:
        assert session.get(ProcessedUpdate, (BOT, 8)) is not None


def test_old_update_ids_are_pruned(session_factory: sessionmaker[Session]) -> None:
    now = utcnow()
    with session_factory.begin() as session:
        session.add(ProcessedUpdate(bot_id=BOT, update_id=1, received_at=now - timedelta(days=8)))
        session.add(ProcessedUpdate(bot_id=BOT, update_id=2, received_at=now - timedelta(days=1)))
    with session_factory.begin() as session:
        assert prune_updates(session, now=now) == 1
    with session_factory() as session:
        assert [u.update_id for u in session.scalars(select(ProcessedUpdate))] == [2]


def test_two_bots_claim_their_own_update_ids(session_factory: sessionmaker[Session]) -> None:
    """Each bot numbers its own updates: bot 2's update 41 is not a redelivery of bot 1's."""
    with session_factory.begin() as session:
        assert claim_update(session, 1, 41) is True
        assert claim_update(session, 2, 41) is True
    with session_factory.begin() as session:
        assert claim_update(session, 1, 41) is False
        assert claim_update(session, 2, 41) is False
        assert claim_update(session, 2**40, 41) is True  # bot ids are 64-bit too
