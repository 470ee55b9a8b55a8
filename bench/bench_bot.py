"""How fast the bot answers a phone: scripted updates through the Bot API double, timed.

For each backend: a fresh database built by the real migrations and seeded with ``contacts``
contacts (``bench.seed``), then the real Application (``bot.app.build_application``) runs
against :class:`sandbox.BotApiDouble` in long-polling mode, and ``clients`` admins play the
script below, each waiting for the bot's reply before the next update (a closed loop, as a
phone would). The yardstick is ``sandbox.build_echo_app`` on the same double, driven by
the same loop with a like mix of texts and button presses. Echo and bot rounds alternate on
the same database's run, so both see the same load on a shared machine; each round starts a
fresh double and bot process, and its first updates (the warm-up) are not timed.

Two processes, so that the bot's figures are the bot's (``bench.botproc``):

- this one, the driver: the Bot API double (which parses the bot's HTML, keeps a copy of every
  message and serves it all over aiohttp, as Telegram's servers would) and the phones;
- the bot (the CRM's Application, or the echo bot) run by
  ``python -m bench.bench_bot --serve CONFIG``, with its own event loop and CPU.

One cycle of the script (``bench.bot_phones``) is five updates:

1. a search typed as text (a surname: a list of matches as buttons)
2. a card opened with one of those buttons
3. a note added by replying to the card with text
4. the card's "Stage" button (the stage menu)
5. a stage chosen from that menu (the card redrawn)

Latency is the time from handing an update to the double to the bot's complete reply, as the
phone sees it: the last message it sends, or the answer to the button press (which the bot
gives last). Throughput is updates handled per second of wall time over the timed updates.
CPU is the bot process's (its event loop and its database worker threads) per timed update:
steadier than wall time when other work shares the machine. The driver's CPU (double and
phones) is logged too. Telegram's flood limits (30 messages/s, enforced in production by PTB's
AIORateLimiter) are off here: this measures the bot's own work, not Telegram's cap.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bench.bench_core import BACKEND_TITLES, analyze, fresh_database
from bench.bot_phones import ClientFn, Clock, Result, crm_client, echo_client
from bench.botproc import BotProcess, bot_process, commands, say
from bench.seed import ADMIN_NAMES, seed
from crm_core.db import make_engine
from crm_core.migrate import upgrade
from sandbox import BotApiDouble

#: Targets from the bot issue.
MIN_SHARE_OF_ECHO = 0.60
MAX_P99_MS = 100.0
#: The seed's admins have Telegram ids 900_001.. (bench.seed).
FIRST_ADMIN_TG_ID = 900_001


@dataclass(frozen=True, slots=True)
class Round:
    """What every round shares: the script's size and where the bot's profiles go."""

    updates: int
    clients: int
    warmup: int
    rate_limit: bool
    #: cProfile the bot process's event loop thread into ``{profile}-{round}.prof``.
    profile: Path | None = None
    #: py-spy (every thread of the bot process) into ``{py_spy}-{round}.txt``, collapsed stacks.
    py_spy: Path | None = None


def start_py_spy(pid: int, out: Path | None) -> subprocess.Popen[bytes] | None:
    """Sample the bot process with py-spy (every thread, without pausing it) until it ends."""
    if out is None:
        return None
    return subprocess.Popen(
        [
            str(Path(sys.executable).with_name("py-spy")),
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "-o",
            str(out),
            # e.g. "--nonblocking --gil": only the thread holding the GIL (Python's CPU)
            *os.environ.get("BENCH_PY_SPY_FLAGS", "--nonblocking").split(),
        ],
        stdout=subprocess.DEVNULL,
    )


@contextlib.asynccontextmanager
async def bot_round(
    double: BotApiDouble, config: dict[str, Any], spy_out: Path | None
) -> AsyncIterator[BotProcess]:
    config = {
        **config,
        "token": double.token,
        "api_url": double.base_url,
        "file_url": double.base_file_url,
    }
    spy = None
    try:
        async with bot_process("bench.bench_bot", config, check=True) as bot:
            spy = start_py_spy(bot.pid, spy_out)
            yield bot
    finally:
        if spy is not None:  # py-spy writes its file once the bot process has ended
            await asyncio.to_thread(spy.wait, 60)


async def play(
    clock: Clock,
    client: ClientFn,
    config: dict[str, Any],
    setup: Round,
    *,
    round_no: int,
) -> None:
    """One round: a fresh double and bot process; ``clients`` phones play until ``updates``
    more are timed."""
    suffix = f"{config['bot']}-{config['backend']}-{round_no}"
    if setup.profile and config["bot"] == "crm":
        config = {**config, "profile": f"{setup.profile}-{suffix}.prof"}
    spy_out = Path(f"{setup.py_spy}-{suffix}.txt") if setup.py_spy else None
    clients, warmup = setup.clients, setup.warmup
    async with BotApiDouble() as double, bot_round(double, config, spy_out) as bot:
        phones = [
            double.phone(user_id=FIRST_ADMIN_TG_ID + i, first_name=ADMIN_NAMES[i])
            for i in range(clients)
        ]
        per_client = setup.updates // clients + warmup
        clock.start_round(warmup * clients, bot)
        await asyncio.gather(
            *(
                client(phone, double, per_client, clock, i + round_no * clients)
                for i, phone in enumerate(phones)
            )
        )
        await clock.end_round()
        await double.wait_idle(quiet=0.05)
        # What the bot asked of Telegram per update (all rounds' updates, warm-up included).
        handled = per_client * clients
        calls = Counter(r.method for r in double.requests if r.method != "getUpdates")
        shares = ", ".join(f"{m} {n / handled:.2f}" for m, n in calls.most_common())
        print(f"    Bot API calls per update ({config['bot']}): {shares}", file=sys.stderr)


# --- the bot process ------------------------------------------------------------------------


async def serve(config: dict[str, Any]) -> None:
    """Run the echo bot or the CRM's Application against the double at the config's URLs until
    stdin ends; "mark" starts counting CPU (and profiling), "report" answers with the CPU
    seconds since. A handler's exception makes the process exit with an error."""
    import logging
    from types import SimpleNamespace

    from sandbox import build_echo_app, running

    logging.basicConfig(level=logging.WARNING)
    # PTB's note that per_message=False conversations are tracked per chat: by design.
    warnings.filterwarnings("ignore", message=".*per_message=False.*")
    if config["bot"] == "echo":
        where = SimpleNamespace(
            token=config["token"], base_url=config["api_url"], base_file_url=config["file_url"]
        )
        app = build_echo_app(where)  # type: ignore[arg-type]  # only its URLs are read
    else:
        from bot.app import build_application
        from crm_core.config import AdminSpec, Settings

        settings = Settings(
            database_url=config["database_url"],
            admins=tuple(
                AdminSpec(FIRST_ADMIN_TG_ID + i, ADMIN_NAMES[i]) for i in range(len(ADMIN_NAMES))
            ),
            telegram_token=config["token"],
            telegram_api_base_url=config["api_url"],
            telegram_file_base_url=config["file_url"],
            digest_check_seconds=0,  # no digest out of the blue in the middle of the script
        )
        app = build_application(settings, migrate_sqlite=False, rate_limit=config["rate_limit"])
    profiler = cProfile.Profile() if config.get("profile") else None
    cpu_started = time.process_time()
    async with running(app, poll_timeout=10):
        say({"ready": True})
        async for command in commands():
            if command == "mark":
                cpu_started = time.process_time()
                if profiler:
                    profiler.enable()
                say({"marked": True})
            elif command == "report":
                if profiler:
                    profiler.disable()
                say({"cpu_seconds": time.process_time() - cpu_started})
    if profiler:
        profiler.dump_stats(config["profile"])


# --- the run --------------------------------------------------------------------------------


def run_backend(
    backend: str,
    *,
    contacts: int,
    pg_url: str,
    updates: int,
    rounds: int,
    clients: int,
    warmup: int,
    rate_limit: bool,
    profile: Path | None,
    py_spy: Path | None = None,
    log: Callable[[str], None],
) -> tuple[Result, Result]:
    """Seed a fresh database, then alternate echo and bot rounds; return (echo, bot)."""
    with fresh_database(backend, pg_url) as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            stats = seed(engine, contacts=contacts, today=date.today())
            analyze(engine)
        finally:
            engine.dispose()  # the bot process has its own
        log(
            f"{BACKEND_TITLES[backend]}: seeded {stats.contacts:,} contacts and "
            f"{stats.notes:,} notes in {stats.seconds:.1f} s"
        )
        echo, bot = Clock(), Clock()
        with tempfile.TemporaryDirectory(prefix="crm-bench-prof-") as tmp:
            setup = Round(
                updates=max(1, updates // rounds),
                clients=clients,
                warmup=warmup,
                rate_limit=rate_limit,
                profile=Path(tmp) / "bot" if profile else None,
                py_spy=py_spy,
            )
            for round_no in range(rounds):
                plain = {"bot": "echo", "backend": backend}
                asyncio.run(play(echo, echo_client, plain, setup, round_no=round_no))
                crm = {
                    "bot": "crm",
                    "backend": backend,
                    "database_url": url,
                    "rate_limit": rate_limit,
                }
                asyncio.run(play(bot, crm_client, crm, setup, round_no=round_no))
            if profile:
                out = profile.with_name(f"{profile.stem}-{backend}{profile.suffix or '.prof'}")
                merged = pstats.Stats(*(str(p) for p in sorted(Path(tmp).glob("*.prof"))))
                merged.dump_stats(out)
                merged.sort_stats("cumulative").print_stats(25)
                log(f"  profile of the bot process's event loop thread saved to {out}")
        return echo.result("PTB echo bot (yardstick)"), bot.result("V3 CRM bot")


def format_table(results: dict[str, tuple[Result, Result]], *, contacts: int, clients: int) -> str:
    echo_updates = next(iter(results.values()))[1].updates
    lines = [
        f"{contacts:,} contacts; {echo_updates:,} timed updates per bot and database (finds, "
        f"card opens, notes, stage changes), echo and bot rounds alternating; {clients} "
        "admin(s) at once, each waiting for the reply; latency = update handed to the Bot API "
        "double -> the bot's complete reply; the double and phones run in a process of their "
        "own; CPU = the bot's process (event loop and database threads) per update",
        "",
        "| database | bot | updates/s | share of echo | p50 ms | p99 ms | CPU ms/update |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for backend, (echo, bot) in results.items():
        share = bot.per_second / echo.per_second
        flag_share = "" if share >= MIN_SHARE_OF_ECHO else " ✗"
        flag_p99 = "" if bot.p99_ms <= MAX_P99_MS else " ✗"
        title = BACKEND_TITLES[backend]
        lines += [
            f"| {title} | PTB echo bot (yardstick) | {echo.per_second:.0f} | 100% | "
            f"{echo.p50_ms:.1f} | {echo.p99_ms:.1f} | {echo.cpu_ms:.1f} |",
            f"| {title} | V3 CRM bot | {bot.per_second:.0f} | {share:.0%}{flag_share} | "
            f"{bot.p50_ms:.1f} | {bot.p99_ms:.1f}{flag_p99} | {bot.cpu_ms:.1f} |",
        ]
    lines.append("")
    lines.append(
        f"Targets: at least {MIN_SHARE_OF_ECHO:.0%} of the echo bot's throughput and p99 ≤ "
        f"{MAX_P99_MS:g} ms (✗ marks a miss)."
    )
    return "\n".join(lines)


def median_table(paths: list[Path]) -> str:
    """The median of each figure over several saved runs (``--json``), as one table."""
    docs = [json.loads(p.read_text()) for p in paths]

    def median_of(backend: str, which: str) -> Result:
        runs = [Result(**d["results"][backend][which]) for d in docs]
        return Result(
            runs[0].name,
            runs[0].updates,
            runs[0].updates / statistics.median(r.per_second for r in runs),
            statistics.median(r.p50_ms for r in runs),
            statistics.median(r.p99_ms for r in runs),
            statistics.median(r.cpu_ms for r in runs),
            driver_cpu_ms=statistics.median(r.driver_cpu_ms for r in runs),
        )

    results = {b: (median_of(b, "echo"), median_of(b, "bot")) for b in docs[0]["results"]}
    table = format_table(results, contacts=docs[0]["contacts"], clients=docs[0]["clients"])
    return f"Median of {len(docs)} runs. " + table


def _describe(r: Result) -> str:
    return (
        f"{r.per_second:.0f} updates/s, p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms, "
        f"{r.cpu_ms:.1f} ms bot CPU per update (driver: {r.driver_cpu_ms:.1f} ms)\n"
        f"    {r.steps}"
    )


def run(
    *,
    contacts: int,
    updates: int,
    rounds: int,
    backends: list[str],
    pg_url: str,
    clients: int,
    warmup: int,
    rate_limit: bool,
    json_path: Path | None,
    profile: Path | None,
    py_spy: Path | None = None,
) -> int:
    if not 1 <= clients <= len(ADMIN_NAMES):
        raise SystemExit(f"--clients must be 1-{len(ADMIN_NAMES)} (the seed's admins)")
    # PTB's note that per_message=False conversations are tracked per chat: by design.
    warnings.filterwarnings("ignore", message=".*per_message=False.*")

    def log(line: str) -> None:
        print(line, flush=True)

    results: dict[str, tuple[Result, Result]] = {}
    for backend in backends:
        echo, bot = run_backend(
            backend,
            contacts=contacts,
            pg_url=pg_url,
            updates=updates,
            rounds=rounds,
            clients=clients,
            warmup=warmup,
            rate_limit=rate_limit,
            profile=profile,
            py_spy=py_spy,
            log=log,
        )
        results[backend] = (echo, bot)
        log(f"  echo: {_describe(echo)}")
        log(f"  bot ({bot.per_second / echo.per_second:.0%} of echo): {_describe(bot)}")
    print()
    print(format_table(results, contacts=contacts, clients=clients))
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(
            json.dumps(
                {
                    "contacts": contacts,
                    "clients": clients,
                    "results": {
                        b: {"echo": asdict(e), "bot": asdict(r)} for b, (e, r) in results.items()
                    },
                },
                indent=2,
            )
        )
    ok = all(
        bot.per_second >= MIN_SHARE_OF_ECHO * echo.per_second and bot.p99_ms <= MAX_P99_MS
        for echo, bot in results.values()
    )
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.bench_bot")
    parser.add_argument("--serve", type=Path, required=True, help="(internal) run the bot")
    asyncio.run(serve(json.loads(parser.parse_args().serve.read_text())))
