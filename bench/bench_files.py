"""Attachments at volume: photos of 1-3 MB sent to the bot, through the Bot API double, into
S3 (moto's server), as replies to a contact card. ``python -m bench files``.

Three processes, so that each measures only itself:

- this one, the driver: the Bot API double (which holds every photo, as Telegram would, and
  serves it through getFile and the file URL) and the admin's phone;
- moto's S3 server (``python -m moto.server``), which keeps what is uploaded;
- the bot: the real Application (``bot.app.build_application``) on a SQLite file, with its
  storage on the moto server, run by ``python -m bench.bench_files --serve CONFIG``.

The bot process measures itself:

- memory: a thread samples its RSS (``/proc/self/statm``) every 5 ms. *Idle* is the RSS once
  the bot is up and has saved a few warm-up photos (so that lazily imported code, such as
  boto3's transfer manager, is loaded), right before the timed run; *peak* is the highest
  sample during the run. The issue's target: peak - idle < 30 MB. The RSS right after start
  (before the warm-up) is reported too.
- the event loop: a probe task sleeps 5 ms again and again and records how late it wakes up.
  The target: never more than 50 ms late.

Throughput is photos (and MB) per second from the first photo sent to the last "Saved to"
confirmation. The phone keeps ``--window`` photos (default 10, an album's worth) sent and not
yet confirmed, as an admin forwarding album after album would; ``--window 0`` sends them all
at once (then PTB decodes updates 100 at a time on the event loop). Telegram's flood limit
(30 messages/s, PTB's AIORateLimiter) is off unless ``--rate-limit``: this measures the bot's
own work. At the end, the rows in the database and the objects in the bucket are counted:
every photo must be in both.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import socket
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bench.botproc import bot_process, commands, free_port, say

MB = 1024 * 1024
ADMIN_TG_ID = 900_001
CONTACT = "Bench Contact"
TARGET_RSS_GROWTH_MB = 30.0
TARGET_MAX_LAG_MS = 50.0
PROBE_INTERVAL = 0.005
RSS_INTERVAL = 0.005
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "eu-west-2",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


# ------------------------------------------------------------------------- the bot process


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def _hwm() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


class Probe:
    """RSS sampler (a thread) and event-loop lag probe (a task) of the bot process."""

    def __init__(self) -> None:
        self.started_rss = _rss()
        self.idle_rss = self.started_rss
        self.peak_rss = self.started_rss
        self.lags: list[float] = []
        self.heartbeat = time.monotonic()
        self.loop_thread: int | None = None
        self.stacks: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)

    def _sample(self) -> None:
        stacks = os.environ.get("BENCH_LAG_STACKS")  # diagnosis: where is the loop when late?
        while not self._stop.wait(RSS_INTERVAL):
            rss = _rss()
            if rss > self.peak_rss:
                self.peak_rss = rss
            late = time.monotonic() - self.heartbeat
            if stacks and self.loop_thread is not None and late > float(stacks) / 1000:
                frame = sys._current_frames().get(self.loop_thread)
                where = traceback.format_stack(frame, limit=6) if frame else []
                self.stacks.append(f"{late * 1000:.0f} ms late:\n" + "".join(where))

    async def lag_probe(self) -> None:
        loop = asyncio.get_running_loop()
        self.loop_thread = threading.get_ident()
        while True:
            before = loop.time()
            self.heartbeat = time.monotonic()
            await asyncio.sleep(PROBE_INTERVAL)
            self.lags.append(loop.time() - before - PROBE_INTERVAL)

    def start(self) -> None:
        self._thread.start()

    def mark(self) -> dict[str, Any]:
        """The timed run starts now: the current RSS is the idle one; forget earlier peaks."""
        self.idle_rss = self.peak_rss = _rss()
        self.lags.clear()
        return {"idle_rss": self.idle_rss}

    def report(self) -> dict[str, Any]:
        lags = sorted(self.lags) or [0.0]
        return {
            "started_rss": self.started_rss,
            "idle_rss": self.idle_rss,
            "peak_rss": self.peak_rss,
            "hwm": _hwm(),
            "max_lag_ms": lags[-1] * 1000,
            "p99_lag_ms": lags[min(len(lags) - 1, int(len(lags) * 0.99))] * 1000,
            "lag_samples": len(self.lags),
        }

    def stop(self) -> None:
        self._stop.set()
        for stack in self.stacks:
            print(stack, file=sys.stderr)


async def serve(config: dict[str, Any]) -> None:
    """Run the bot until told to stop; answer "mark" and "report" on stdin with JSON lines."""
    import logging

    from telegram import Update

    from bot.app import build_application
    from crm_core.config import AdminSpec, Settings

    logging.basicConfig(level=logging.WARNING)
    options: dict[str, Any] = {
        "database_url": config["database_url"],
        "admins": (AdminSpec(ADMIN_TG_ID, "Alice"),),
        "telegram_token": config["token"],
        "telegram_api_base_url": config["api_url"],
        "telegram_file_base_url": config["file_url"],
        "s3_bucket": config["bucket"],
        "s3_endpoint_url": config["s3_url"],
    }
    if "digest_check_seconds" in Settings.__dataclass_fields__:
        options["digest_check_seconds"] = 0  # no digest job in the middle of the run
    app = build_application(
        Settings(**options), migrate_sqlite=False, rate_limit=config["rate_limit"]
    )
    probe = Probe()
    probe.start()
    loop = asyncio.get_running_loop()
    if slow_ms := os.environ.get("BENCH_SLOW_CALLBACK_MS"):
        # Diagnosis: log every event-loop callback slower than this (asyncio debug mode).
        loop.set_debug(True)
        loop.slow_callback_duration = float(slow_ms) / 1000
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)
    await app.start()
    lag_task = asyncio.create_task(probe.lag_probe())
    say({"ready": True, "rss": _rss()})
    async for command in commands():
        if command == "mark":
            say(probe.mark())
        elif command == "report":
            say(probe.report())
    lag_task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await lag_task
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    probe.stop()


# ------------------------------------------------------------------------- the driver


@dataclass(frozen=True, slots=True)
class Result:
    photos: int
    megabytes: float
    seconds: float
    started_rss_mb: float
    idle_rss_mb: float
    peak_rss_mb: float
    max_lag_ms: float
    p99_lag_ms: float
    rows: int
    objects: int
    rate_limit: bool
    window: int

    @property
    def growth_mb(self) -> float:
        return self.peak_rss_mb - self.idle_rss_mb

    @property
    def photos_per_second(self) -> float:
        return self.photos / self.seconds

    @property
    def mb_per_second(self) -> float:
        return self.megabytes / self.seconds

    @property
    def passed(self) -> bool:
        return self.growth_mb < TARGET_RSS_GROWTH_MB and self.max_lag_ms <= TARGET_MAX_LAG_MS


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """moto's S3 server in its own process; yields its endpoint URL."""
    import subprocess

    port = free_port()
    env = {**os.environ, **AWS_ENV}
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("moto's S3 server did not start")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def photo_bytes(rng: random.Random, low_mb: float, high_mb: float) -> bytes:
    size = int(rng.uniform(low_mb, high_mb) * MB)
    return b"\xff\xd8\xff\xe0" + rng.randbytes(size - 4)


def _prepare_database(url: str) -> None:
    from sqlalchemy.orm import Session

    from crm_core.config import AdminSpec
    from crm_core.db import make_engine
    from crm_core.migrate import upgrade
    from crm_core.models import User
    from crm_core.services.contacts import create_contact
    from crm_core.services.users import sync_admins

    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        sync_admins(session, [AdminSpec(ADMIN_TG_ID, "Alice")])
        owner = session.query(User).one()
        create_contact(
            session,
            owner.id,
            {"name": CONTACT, "contact_type": "eviction_client"},
            today=date.today(),
        )
    engine.dispose()


def _count_rows(url: str) -> int:
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from crm_core.db import make_engine
    from crm_core.models import File

    engine = make_engine(url)
    with Session(engine) as session:
        count = int(session.scalar(select(func.count()).select_from(File)) or 0)
    engine.dispose()
    return count


async def drive(
    *,
    photos: int,
    low_mb: float,
    high_mb: float,
    warmup: int,
    rate_limit: bool,
    seed: int,
    window: int,
) -> Result:
    import boto3

    from sandbox import BotApiDouble

    os.environ.update(AWS_ENV)
    rng = random.Random(seed)
    warm = [photo_bytes(rng, 0.2, 0.5) for _ in range(warmup)]
    timed = [photo_bytes(rng, low_mb, high_mb) for _ in range(photos)]
    with tempfile.TemporaryDirectory(prefix="crm-bench-files-") as tmp, moto_server() as s3_url:
        bucket = "crm-bench"
        s3 = boto3.client("s3", endpoint_url=s3_url)
        s3.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
        url = f"sqlite:///{Path(tmp) / 'crm.db'}"
        _prepare_database(url)
        config = {
            "database_url": url,
            "bucket": bucket,
            "s3_url": s3_url,
            "rate_limit": rate_limit,
        }
        async with BotApiDouble() as double:
            config |= {
                "token": double.token,
                "api_url": double.base_url,
                "file_url": double.base_file_url,
            }
            async with bot_process("bench.bench_files", config, env=AWS_ENV) as process:
                started_rss = int(process.ready["rss"])
                phone = double.phone(user_id=ADMIN_TG_ID, first_name="Alice")
                await phone.send(f"/find {CONTACT}")
                card = await phone.wait_reply(timeout=30)

                def saved() -> int:
                    return sum(
                        1
                        for e in double.events
                        if e.kind == "send"
                        and e.chat_id == phone.chat_id
                        and (e.message.get("text") or "").startswith("✅ Saved to")
                    )

                for data in warm:
                    await phone.send_photo(data, reply_to=card)
                await double.wait_until(lambda: saved() >= warmup, 60, "the warm-up photos")
                await phone.wait_idle(quiet=0.5, timeout=30)
                await process.command("mark")
                began = time.perf_counter()
                for sent, data in enumerate(timed):
                    if window:  # at most `window` photos sent and not yet confirmed
                        await double.wait_until(
                            lambda sent=sent: sent - (saved() - warmup) < window, 300, "a slot"
                        )
                    await phone.send_photo(data, reply_to=card)
                total = warmup + photos
                await double.wait_until(lambda: saved() >= total, 900, "every photo saved")
                seconds = time.perf_counter() - began
                stats = await process.command("report")
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        objects = sum(len(page.get("Contents", [])) for page in pages)
        rows = _count_rows(url)
    return Result(
        photos=photos,
        megabytes=sum(len(d) for d in timed) / MB,
        seconds=seconds,
        started_rss_mb=started_rss / MB,
        idle_rss_mb=stats["idle_rss"] / MB,
        peak_rss_mb=stats["peak_rss"] / MB,
        max_lag_ms=stats["max_lag_ms"],
        p99_lag_ms=stats["p99_lag_ms"],
        rows=rows - warmup,
        objects=objects - warmup,
        rate_limit=rate_limit,
        window=window,
    )


def render(result: Result) -> str:
    ok = "✅" if result.passed else "❌"
    return "\n".join(
        [
            f"Attachments: {result.photos} photos, {result.megabytes:.0f} MB, "
            f"through the Bot API double into S3 (moto), "
            f"{result.window or 'all'} in flight, "
            f"rate limiter {'on' if result.rate_limit else 'off'}",
            "",
            "| measure | value | target |",
            "|---|---|---|",
            f"| throughput | {result.photos_per_second:.1f} photos/s, "
            f"{result.mb_per_second:.1f} MB/s ({result.seconds:.1f} s) | |",
            f"| bot RSS after start | {result.started_rss_mb:.1f} MB | |",
            f"| bot RSS idle (after warm-up) | {result.idle_rss_mb:.1f} MB | |",
            f"| bot RSS peak during the run | {result.peak_rss_mb:.1f} MB | |",
            f"| peak growth over idle | {result.growth_mb:.1f} MB "
            f"| < {TARGET_RSS_GROWTH_MB:.0f} MB |",
            f"| event loop lag, max | {result.max_lag_ms:.1f} ms | ≤ {TARGET_MAX_LAG_MS:.0f} ms |",
            f"| event loop lag, p99 | {result.p99_lag_ms:.1f} ms | |",
            f"| rows / objects stored | {result.rows} / {result.objects} | {result.photos} each |",
            "",
            f"{ok} targets {'met' if result.passed else 'missed'}",
        ]
    )


def run(
    *,
    photos: int = 200,
    low_mb: float = 1.0,
    high_mb: float = 3.0,
    warmup: int = 3,
    rate_limit: bool = False,
    seed: int = 42,
    window: int = 10,
    json_path: Path | None = None,
) -> int:
    result = asyncio.run(
        drive(
            photos=photos,
            low_mb=low_mb,
            high_mb=high_mb,
            warmup=warmup,
            rate_limit=rate_limit,
            seed=seed,
            window=window,
        )
    )
    print(render(result))
    if json_path is not None:
        payload = {
            **asdict(result),
            "growth_mb": result.growth_mb,
            "photos_per_second": result.photos_per_second,
            "mb_per_second": result.mb_per_second,
            "passed": result.passed,
        }
        json_path.write_text(json.dumps(payload, indent=2))
    complete = result.rows == photos and result.objects == photos
    return 0 if result.passed and complete else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.bench_files")
    parser.add_argument("--serve", type=Path, required=True, help="(internal) run the bot")
    asyncio.run(serve(json.loads(parser.parse_args().serve.read_text())))
