"""The phones of ``bench bot``: what one admin does against the CRM bot and against the echo
bot, and the clock timing each of their updates (``bench.bench_bot`` runs them)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bench.botproc import BotProcess
from bench.seed import SURNAMES
from sandbox import BotApiDouble, Phone

NOTE_TEXTS = (
    "Called, left a voicemail.",
    "Spoke to them: wants a quote by Friday.",
    "Site visit booked for Tuesday.",
    "Sent the client pack by email.",
)

#: Stages whose move is followed by a question or an offer (the lost reason, "Create job", "Mark
#: job paid"): the script's step is the plain move and its redrawn card, so it skips them.
FOLLOWED_UP_STAGES = frozenset({"Lost", "Won", "Job Booked", "Invoiced", "Paid"})

#: One scripted update: what it types or taps depends on the cycle number.
Step = Callable[[int], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    updates: int
    seconds: float
    p50_ms: float
    p99_ms: float
    #: CPU time of the bot's process (event loop and worker threads) per timed update:
    #: steadier than wall time on a busy machine.
    cpu_ms: float = 0.0
    steps: str = ""
    #: CPU time of the driver's process (the Bot API double and the phones) per timed update.
    driver_cpu_ms: float = 0.0

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds


def result_of(
    name: str,
    latencies_ms: list[float],
    seconds: float,
    cpu_seconds: float,
    steps: str = "",
    driver_cpu_seconds: float = 0.0,
) -> Result:
    cuts = statistics.quantiles(latencies_ms, n=100, method="inclusive")
    return Result(
        name,
        len(latencies_ms),
        seconds,
        statistics.median(latencies_ms),
        cuts[98],
        cpu_seconds * 1000 / len(latencies_ms),
        steps,
        driver_cpu_seconds * 1000 / len(latencies_ms),
    )


class Clock:
    """Per-update latencies after each round's warm-up, and the timed wall and CPU time (the
    bot process's and the driver's), summed over rounds (echo and bot rounds alternate, so both
    see the same machine load)."""

    def __init__(self) -> None:
        self.latencies_ms: list[float] = []
        self.by_step: dict[str, list[float]] = {}
        self.seconds = 0.0
        self.cpu_seconds = 0.0
        self.driver_cpu_seconds = 0.0
        self._warmup = 0
        self._seen = 0
        self._bot: BotProcess | None = None
        self._started: float | None = None
        self._cpu_started = 0.0

    def start_round(self, warmup: int, bot: BotProcess) -> None:
        self._warmup, self._seen, self._started, self._bot = warmup, 0, None, bot

    async def end_round(self) -> None:
        if self._started is not None:
            assert self._bot is not None
            self.seconds += time.perf_counter() - self._started
            self.driver_cpu_seconds += time.process_time() - self._cpu_started
            self.cpu_seconds += float((await self._bot.command("report"))["cpu_seconds"])

    async def time(self, step: Step, cycle: int) -> None:
        self._seen += 1
        if self._seen == self._warmup + 1:
            assert self._bot is not None
            await self._bot.command("mark")  # the bot starts counting its CPU (and profiling)
            self._started = time.perf_counter()
            self._cpu_started = time.process_time()
        t0 = time.perf_counter()
        await step(cycle)
        if self._seen > self._warmup:
            elapsed = (time.perf_counter() - t0) * 1000
            self.latencies_ms.append(elapsed)
            self.by_step.setdefault(step.__name__, []).append(elapsed)

    def steps(self) -> str:
        """p50 / p99 per step of the script, for finding the slow one."""
        parts = []
        for name, times in self.by_step.items():
            cuts = statistics.quantiles(times, n=100, method="inclusive")
            parts.append(f"{name} {statistics.median(times):.1f}/{cuts[98]:.1f}")
        return "p50/p99 ms by step: " + ", ".join(parts)

    def result(self, name: str) -> Result:
        assert self.latencies_ms, "fewer updates than the warm-up"
        return result_of(
            name,
            self.latencies_ms,
            self.seconds,
            self.cpu_seconds,
            self.steps(),
            self.driver_cpu_seconds,
        )


# --- the scripts ----------------------------------------------------------------------------


async def crm_client(
    phone: Phone, double: BotApiDouble, updates: int, clock: Clock, n: int
) -> None:
    """One admin playing the CRM script for ``updates`` updates."""
    state: dict[str, Any] = {}

    async def find(cycle: int) -> None:
        await phone.send(SURNAMES[cycle % len(SURNAMES)])
        state["results"] = await phone.wait_reply()

    async def open_card(cycle: int) -> None:
        labels = phone.buttons(state["results"])
        if not labels:  # a search with one match opens the card directly
            state["card"] = state["results"]
            return
        press = await phone.click(state["results"], labels[cycle % len(labels)])
        await phone.wait_answer(press)
        state["card"] = await phone.wait_reply()

    async def add_note(cycle: int) -> None:
        await phone.send(NOTE_TEXTS[cycle % len(NOTE_TEXTS)], reply_to=state["card"])
        await phone.wait_reply()  # "Note added."
        state["card"] = await phone.wait_reply()

    async def stage_menu(cycle: int) -> None:
        press = await phone.click(state["card"], "📶 Stage")
        await phone.wait_answer(press)
        state["menu"] = await phone.wait_edit(state["card"])

    async def choose_stage(cycle: int) -> None:
        choices = [
            label
            for label in phone.buttons(state["menu"])
            if not label.startswith("✅")
            and not label.startswith("«")
            and label not in FOLLOWED_UP_STAGES
        ]
        press = await phone.click(state["menu"], choices[cycle % len(choices)])
        await phone.wait_answer(press)
        state["card"] = await phone.wait_edit(state["menu"])

    await play_steps((find, open_card, add_note, stage_menu, choose_stage), updates, clock, n)


async def echo_client(
    phone: Phone, double: BotApiDouble, updates: int, clock: Clock, n: int
) -> None:
    """The same rhythm against the echo bot: texts, a reply, button presses (answer + edit)."""
    state: dict[str, Any] = {}

    async def text(cycle: int) -> None:
        await phone.send(SURNAMES[cycle % len(SURNAMES)])
        state["msg"] = await phone.wait_reply()

    async def press(cycle: int) -> None:
        update = await phone.click(state["msg"], "Ping")
        await phone.wait_answer(update)
        state["msg"] = await phone.wait_edit(state["msg"])

    async def reply(cycle: int) -> None:
        await phone.send(NOTE_TEXTS[cycle % len(NOTE_TEXTS)], reply_to=state["msg"])
        state["msg"] = await phone.wait_reply()

    # The echo bot's edit drops the button, so each press needs a fresh message.
    await play_steps((text, press, reply, press, text), updates, clock, n)


async def play_steps(steps: tuple[Step, ...], updates: int, clock: Clock, n: int) -> None:
    """Play ``steps`` round and round, each timed, until ``updates`` are done; the cycle number
    picks what each step types or taps (admin ``n`` starts at ``n * 7``: the admins spread
    over different surnames and contacts)."""
    done, cycle = 0, n * 7
    while done < updates:
        for step in steps:
            if done >= updates:
                return
            await clock.time(step, cycle)
            done += 1
        cycle += 1


ClientFn = Callable[[Phone, BotApiDouble, int, Clock, int], Awaitable[None]]
