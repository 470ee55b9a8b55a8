"""Retries and outcomes of scheduled sends, with a fake clock and sleep (no Telegram)."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.sending import classify, retry_seconds, with_retries
from crm_core.schedule import DeliveryStatus

# PTB 22 warns whenever a RetryAfter is made (``retry_after`` is to become a timedelta).
RETRY_AFTER_WARNING = "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
pytestmark = pytest.mark.filterwarnings(RETRY_AFTER_WARNING)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def failing(*errors: Exception) -> tuple[list[int], object]:
    calls: list[int] = []

    async def send() -> str:
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return "sent"

    return calls, send


async def test_a_429_waits_retry_after_then_succeeds():
    fake = FakeTime()
    calls, send = failing(RetryAfter(3), RetryAfter(1))
    assert await with_retries(send, deadline=60, clock=fake.clock, sleep=fake.sleep) == "sent"
    assert fake.slept == [3.1, 1.1]
    assert len(calls) == 3


async def test_network_errors_back_off_exponentially():
    fake = FakeTime()
    _, send = failing(TimedOut(), NetworkError("reset"), NetworkError("reset"))
    assert await with_retries(send, deadline=60, clock=fake.clock, sleep=fake.sleep) == "sent"
    assert fake.slept == [1.0, 2.0, 4.0]


@pytest.mark.parametrize(
    "error", [Forbidden("bot was blocked by the user"), BadRequest("Chat not found")]
)
async def test_refusals_are_not_retried(error):
    fake = FakeTime()
    calls, send = failing(error)
    with pytest.raises(type(error)):
        await with_retries(send, deadline=60, clock=fake.clock, sleep=fake.sleep)
    assert (len(calls), fake.slept) == (1, [])


async def test_retries_stop_at_the_deadline_and_after_the_tries():
    fake = FakeTime()
    _, send = failing(RetryAfter(30), RetryAfter(30))
    with pytest.raises(RetryAfter):
        await with_retries(send, deadline=40, clock=fake.clock, sleep=fake.sleep)
    assert fake.slept == [30.1]  # a second wait would pass the deadline
    _, send = failing(*[NetworkError("down")] * 10)
    with pytest.raises(NetworkError):
        await with_retries(send, deadline=10_000, tries=3, clock=fake.clock, sleep=fake.sleep)


def test_errors_map_to_ledger_statuses():
    assert classify(Forbidden("Forbidden: bot was blocked by the user")) is DeliveryStatus.BLOCKED
    assert classify(Forbidden("Forbidden: bot can't initiate conversation with a user")) is (
        DeliveryStatus.UNREACHABLE
    )
    assert classify(Forbidden("Forbidden: user is deactivated")) is DeliveryStatus.UNREACHABLE
    assert classify(BadRequest("Bad Request: chat not found")) is DeliveryStatus.UNREACHABLE
    assert classify(BadRequest("can't parse entities")) is DeliveryStatus.FAILED
    assert classify(RetryAfter(5)) is DeliveryStatus.FAILED
    assert classify(TimedOut()) is DeliveryStatus.FAILED
    assert retry_seconds(RetryAfter(7)) == 7.0
