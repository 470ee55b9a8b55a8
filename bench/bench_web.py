"""How fast the Mini App's API answers over HTTP at scale, and how heavy and quick its page is.

For each backend: a fresh database with the core benchmark's seed (schema by the migrations,
then ANALYZE), the real web server (``web.server.build_web_app``) in its own process on a local
port (as in production, where the client is a phone: a client in the server's process would
compete with it for the GIL), and an HTTP client sending each request signed as Telegram signs
launch data. Each operation runs
``warmup`` times, then ``runs`` times timed end to end (request to parsed JSON), one at a time.
Then, on the last backend: the page's own weight (HTML + JS + CSS, uncompressed) and its first
render of the dashboard in headless Chromium with the CPU slowed 4x (median of several loads).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from aiohttp import web

from bench.bench_core import (
    BACKEND_TITLES,
    Timing,
    analyze,
    format_table,
    fresh_database,
    median_table,
    sample_queries,
    timing_of,
    within_targets,
)
from bench.seed import seed
from bot.runtime import Crm
from crm_core.config import AdminSpec, Settings
from crm_core.db import make_engine, make_session_factory
from crm_core.migrate import upgrade
from crm_core.storage import LocalStore
from web.auth import Limits
from web.initdata import sign
from web.server import build_web_app, static_files

#: p95 targets in milliseconds, from the Mini App issue (measured over HTTP).
TARGETS_MS = {"list": 30.0, "search": 30.0, "detail": 30.0, "board": 30.0}
PAGE_WEIGHT_LIMIT = 150 * 1024
FIRST_RENDER_LIMIT_MS = 1000.0
TOKEN = "4242:bench-token"  # noqa: S105 - a fake token
#: The seed's first admin (users.id 1) as Telegram knows them.
ADMIN = AdminSpec(900_001, "Bench")
CHROMIUM = "/usr/bin/chromium"


@dataclass(frozen=True, slots=True)
class Request:
    name: str  # "<kind>: <what>"; the kind names its target
    paths: tuple[str, ...]  # GET paths, sent in rotation


def launch_data(now: datetime) -> str:
    fields = {
        "user": json.dumps({"id": ADMIN.telegram_user_id, "first_name": "Bench"}),
        "auth_date": str(int(now.timestamp())),
    }
    fields["hash"] = sign(fields, TOKEN)
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items())


async def requests_to_time(client: httpx.AsyncClient, queries: dict[str, str]) -> list[Request]:
    """The page's calls: list pages (first, and Next from deep in the list), searches as the
    page sends them, contact details and board columns."""
    first = (await client.get("/api/contacts?view=team")).json()
    anchors: list[int] = []
    after = first["next"]
    for _ in range(40):  # walk a little way in, as scrolling does
        page = (await client.get(f"/api/contacts?view=team&after={after}")).json()
        anchors.append(after)
        after = page["next"]
    filters = [
        urlencode({k: v for k, v in (("view", view), ("type", ctype), ("status", status)) if v})
        for view in ("mine", "team")
        for ctype in ("", "eviction_client", "prevention_prospect")
        for status in ("", "active")
    ]
    ids = [c["id"] for c in first["items"][:10]]
    search = [
        Request(f"search: {kind} ({q!r})", (f"/api/contacts?{urlencode({'q': q})}",))
        for kind, q in queries.items()
        if kind != "no match"
    ]
    return [
        # The floors every request stands on, measured beside the rest (a busy machine's
        # figures compare best as multiples of them): HTTP alone; HTTP, the signature and
        # the admin's row.
        Request("yardstick (info): GET /healthz", ("/healthz",)),
        Request("yardstick (info): signed /api/me", ("/api/me",)),
        Request("list: page 1 (12 filters)", tuple(f"/api/contacts?{f}" for f in filters)),
        Request(
            "list: next page by scrolling (keyset)",
            tuple(f"/api/contacts?view=team&after={a}" for a in anchors),
        ),
        *search,
        Request("detail: a contact (10 contacts)", tuple(f"/api/contacts/{i}" for i in ids)),
        Request(
            "board: a pipeline (3 types, team)",
            tuple(
                f"/api/board?type={t}&view=team"
                for t in ("eviction_client", "prevention_prospect", "referral_partner")
            ),
        ),
        Request(
            "board: prevention prospects (mine)",
            ("/api/board?type=prevention_prospect&view=mine",),
        ),
        Request("dashboard (info): team", ("/api/dashboard?view=team",)),
    ]


async def measure(client: httpx.AsyncClient, req: Request, runs: int, warmup: int) -> Timing:
    for i in range(warmup):
        response = await client.get(req.paths[i % len(req.paths)])
        response.raise_for_status()
    times: list[float] = []
    for i in range(runs):
        started = time.perf_counter()
        response = await client.get(req.paths[i % len(req.paths)])
        response.json()
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{req.name}: {response.status_code} {response.text}")
    return timing_of(times)


def serve(url: str, files: str, port: int) -> None:
    """The web server alone, in a process of its own (the target of ``multiprocessing``)."""
    settings = Settings(
        database_url=url, admins=(ADMIN,), telegram_token=TOKEN, file_storage_dir=Path(files)
    )
    engine = make_engine(url)
    services = Crm(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        store=LocalStore(files),
    )
    app = build_web_app(services, limits=Limits(burst=10**9, per_second=1e9))
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_until_up(base: str, timeout: float = 60.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base) as client:
        while True:
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.1)


def page_weight() -> int:
    return sum(p.stat().st_size for p in static_files())


async def first_render_ms(base: str, loads: int = 5) -> float:
    """Median time from navigation to the dashboard's figures on screen, CPU slowed 4x."""
    from playwright.async_api import async_playwright

    fragment = "#tgWebAppData=" + quote(launch_data(datetime.now(UTC)), safe="")
    times: list[float] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        try:
            for _ in range(loads):
                context = await browser.new_context(viewport={"width": 390, "height": 844})
                page = await context.new_page()
                await page.route("https://telegram.org/**", lambda route: route.abort())
                cdp = await context.new_cdp_session(page)
                await cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
                started = time.perf_counter()
                await page.goto(base + "/app" + fragment)
                await page.get_by_role("button", name="Follow-ups today").wait_for()
                times.append((time.perf_counter() - started) * 1000)
                await context.close()
        finally:
            await browser.close()
    return statistics.median(times)


async def run_backend(
    backend: str,
    *,
    contacts: int,
    pg_url: str,
    runs: int,
    warmup: int,
    browser: bool,
    log: Callable[[str], None],
    database: str | None = None,
) -> tuple[dict[str, Timing], float | None]:
    """``database``: one seeded before (by an earlier run's seed), used as it is."""
    today = date.today()
    with ExitStack() as stack:
        files = stack.enter_context(tempfile.TemporaryDirectory())
        url = database or stack.enter_context(fresh_database(backend, pg_url))
        engine = make_engine(url)
        try:
            if database is None:
                upgrade(url)
                stats = seed(engine, contacts=contacts, today=today)
                log(
                    f"{BACKEND_TITLES[backend]}: seeded {stats.contacts:,} contacts in "
                    f"{stats.seconds:.1f} s"
                )
            analyze(engine)
            factory = make_session_factory(engine)
            port = free_port()
            server = multiprocessing.get_context("spawn").Process(
                target=serve, args=(url, files, port), daemon=True
            )
            server.start()
            base = f"http://127.0.0.1:{port}"
            headers = {"Authorization": "tma " + launch_data(datetime.now(UTC))}
            try:
                await wait_until_up(base)
                async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
                    results: dict[str, Timing] = {}
                    for req in await requests_to_time(client, sample_queries(factory, contacts)):
                        results[req.name] = await measure(client, req, runs, warmup)
                        t = results[req.name]
                        log(
                            f"  {req.name:<46} p50 {t.p50:7.2f} ms   p95 {t.p95:7.2f} ms   "
                            f"(load {os.getloadavg()[0]:.1f})"
                        )
                render = await first_render_ms(base) if browser else None
            finally:
                server.terminate()
                server.join(10)
            return results, render
        finally:
            engine.dispose()


def run(
    *,
    contacts: int,
    backends: list[str],
    pg_url: str,
    runs: int,
    warmup: int,
    json_path: Path | None,
    browser: bool = True,
    databases: dict[str, str] | None = None,
) -> int:
    """``databases``: backend -> URL of a database seeded before (skips the seeding)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results: dict[str, dict[str, Timing]] = {}
    renders: dict[str, float | None] = {}
    for backend in backends:
        results[backend], renders[backend] = asyncio.run(
            run_backend(
                backend,
                contacts=contacts,
                pg_url=pg_url,
                runs=runs,
                warmup=warmup,
                browser=browser,
                log=lambda line: print(line, flush=True),
                database=(databases or {}).get(backend),
            )
        )
    weight = page_weight()
    print()
    print(format_table(results, contacts, runs, TARGETS_MS))
    print()
    print(
        f"Page weight (HTML + JS + CSS, uncompressed): {weight / 1024:.1f} KB "
        f"(limit {PAGE_WEIGHT_LIMIT // 1024} KB)"
    )
    for backend, ms in renders.items():
        if ms is not None:
            print(
                f"First render of the dashboard, 4x CPU throttling, {BACKEND_TITLES[backend]}: "
                f"{ms:.0f} ms (limit {FIRST_RENDER_LIMIT_MS:.0f} ms)"
            )
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(
            json.dumps(
                {
                    "kind": "web",
                    "contacts": contacts,
                    "runs": runs,
                    "page_weight": weight,
                    "first_render_ms": renders,
                    "results": {
                        b: {n: {"p50": t.p50, "p95": t.p95} for n, t in ops.items()}
                        for b, ops in results.items()
                    },
                },
                indent=2,
            )
        )
    ok = within_targets(results, TARGETS_MS) and weight <= PAGE_WEIGHT_LIMIT
    ok = ok and all(ms is None or ms <= FIRST_RENDER_LIMIT_MS for ms in renders.values())
    return 0 if ok else 1


def median_of_runs(paths: list[Path]) -> str:
    docs: list[dict[str, Any]] = [json.loads(p.read_text()) for p in paths]
    renders = {
        b: statistics.median(d["first_render_ms"][b] for d in docs)
        for b, ms in docs[0]["first_render_ms"].items()
        if ms is not None
    }
    lines = [
        median_table(paths, TARGETS_MS),
        "",
        f"Page weight: {docs[0]['page_weight'] / 1024:.1f} KB",
    ]
    lines += [
        f"First render (4x CPU), {BACKEND_TITLES[b]}: {ms:.0f} ms" for b, ms in renders.items()
    ]
    return "\n".join(lines)
