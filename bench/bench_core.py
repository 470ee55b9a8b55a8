"""How fast crm_core's read paths are at scale: search, the filtered list, the dashboard.

For each backend: a fresh database (a SQLite file; a ``crm_bench_<pid>`` database on the
PostgreSQL server, dropped afterwards), the schema built by the real migrations, seed data, then
ANALYZE. Each operation runs ``warmup`` times, then ``runs`` times timed with
``time.perf_counter``, each run in its own session as a bot handler would. Reported: p50 and p95
in milliseconds against the targets of the foundation issue.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bench.seed import seed
from crm_core.db import make_engine, make_session_factory, refresh_statistics
from crm_core.migrate import upgrade
from crm_core.models import Contact
from crm_core.services.dashboard import dashboard
from crm_core.services.listing import ContactFilter, View, list_contacts
from crm_core.services.search import search_contacts
from crm_core.stages import ContactType, Status

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
#: p95 targets in milliseconds, from the foundation issue.
TARGETS_MS = {"search": 25.0, "list": 15.0, "dashboard": 25.0}
BACKEND_TITLES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
#: The admin whose "mine" views are timed (the seed has five, ids 1-5).
USER_ID = 1
PAGE_SIZE = 10

Call = Callable[[Session], object]


@dataclass(frozen=True, slots=True)
class Operation:
    name: str  # "<kind>: <what>"; the kind names its target in TARGETS_MS
    calls: tuple[Call, ...]  # run in rotation


@dataclass(frozen=True, slots=True)
class Timing:
    p50: float
    p95: float


# --- databases ------------------------------------------------------------------------------


@contextmanager
def fresh_database(backend: str, pg_url: str) -> Iterator[str]:
    """A new empty database of that backend; removed afterwards."""
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="crm-bench-"))
        try:
            yield f"sqlite:///{folder / 'bench.db'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    base = make_url(pg_url).set(drivername="postgresql+psycopg2")
    name = f"crm_bench_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def analyze(engine: Engine) -> None:
    """Planner statistics, as a live database has them: on SQLite the bot's own
    ``refresh_statistics`` (at start and daily); on PostgreSQL autovacuum's work, whose VACUUM
    also sets the visibility map that index-only scans rely on."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with make_session_factory(engine).begin() as session:
            refresh_statistics(session)


# --- operations -----------------------------------------------------------------------------


def sample_queries(factory: sessionmaker[Session], contacts: int) -> dict[str, str]:
    """Search texts taken from the seeded data, so each kind finds what it should."""
    with factory() as s:
        email = s.scalar(
            select(Contact.email)
            .where(Contact.email.like("%.%@%"), Contact.deleted_at.is_(None))
            .order_by(Contact.id)
            .offset(contacts // 25)
            .limit(1)
        )
        phone = s.scalar(
            select(Contact.phone)
            .where(Contact.phone.like("+447%"), Contact.deleted_at.is_(None))
            .order_by(Contact.id)
            .offset(contacts // 25)
            .limit(1)
        )
    if not (email and phone):
        raise RuntimeError("the seed should have emails and mobile numbers")
    national = "0" + phone[3:]  # +447412345678 -> 07412345678
    first, _, last = email.split("@")[0].partition(".")
    return {
        "surname": "Patel",
        "3-letter fragment": "har",  # Harry, Harris, Harvey, Charlotte, Richardson...
        "email fragment": email.split("@")[0],  # e.g. oliver.harris
        "two words": f"{first} {last[:3]}",  # e.g. "oliver har": each word anywhere
        "phone fragment": f"{national[:5]} {national[5:8]}",  # typed as "07412 345"
        "no match": "xqzvw",
    }


def operations(
    factory: sessionmaker[Session], queries: dict[str, str], today: date
) -> list[Operation]:
    def search(q: str) -> Call:
        return lambda s: search_contacts(s, q)

    filters = [
        ContactFilter(view=view, contact_type=ctype, status=status)
        for view in (View.MINE, View.TEAM)
        for ctype in (None, ContactType.EVICTION_CLIENT, ContactType.PREVENTION_PROSPECT)
        for status in (None, Status.ACTIVE)
    ]
    with factory() as s:
        pages = [list_contacts(s, USER_ID, f, page_size=PAGE_SIZE).pages for f in filters]
        middles = [max(1, n // 2) for n in pages]

        # The bot's Next button: the page after the last contact of the page before.
        def edge(flt: ContactFilter, page: int) -> int | None:
            if page == 1:
                return None
            return list_contacts(s, USER_ID, flt, page=page - 1, page_size=PAGE_SIZE).items[-1].id

        edges = [edge(f, m) for f, m in zip(filters, middles, strict=True)]
        last_edges = [edge(f, n) for f, n in zip(filters, pages, strict=True)]

    def page_of(flt: ContactFilter, page: int, after: int | None = None) -> Call:
        return lambda s: list_contacts(
            s, USER_ID, flt, page=page, page_size=PAGE_SIZE, after=after
        )

    # The floor every operation stands on (a session, a round trip): figures from a noisy
    # machine compare best as multiples of it.
    ops = [Operation("yardstick (info): SELECT 1 in a session", (lambda s: s.execute(select(1)),))]
    ops += [Operation(f"search: {kind} ({q!r})", (search(q),)) for kind, q in queries.items()]
    # Not a target: a fragment inside one surname in eight, for what the worst case costs.
    ops.append(Operation("search (info): very common fragment ('son')", (search("son"),)))
    ops += [
        Operation("list: page 1 (12 filters)", tuple(page_of(f, 1) for f in filters)),
        Operation(
            "list: Next to the middle page (12 filters)",
            tuple(
                page_of(f, m, after) for f, m, after in zip(filters, middles, edges, strict=True)
            ),
        ),
        Operation(
            "list: Next to the last page (12 filters)",
            tuple(
                page_of(f, n, after)
                for f, n, after in zip(filters, pages, last_edges, strict=True)
            ),
        ),
        # Not a target: a page asked for by its number (a button from before keyset paging).
        Operation(
            "list (info): middle page by number",
            tuple(page_of(f, m) for f, m in zip(filters, middles, strict=True)),
        ),
        Operation("dashboard: mine", (lambda s: dashboard(s, USER_ID, View.MINE, today),)),
        Operation("dashboard: team", (lambda s: dashboard(s, USER_ID, View.TEAM, today),)),
    ]
    return ops


def measure(factory: sessionmaker[Session], op: Operation, *, runs: int, warmup: int) -> Timing:
    for i in range(warmup):
        with factory() as s:
            op.calls[i % len(op.calls)](s)
    times: list[float] = []
    for i in range(runs):
        call = op.calls[i % len(op.calls)]
        started = time.perf_counter()
        with factory() as s:
            call(s)
        times.append((time.perf_counter() - started) * 1000)
    return timing_of(times)


def timing_of(times_ms: list[float]) -> Timing:
    cuts = statistics.quantiles(times_ms, n=100, method="inclusive")
    return Timing(p50=statistics.median(times_ms), p95=cuts[94])


def explain(engine: Engine, factory: sessionmaker[Session], op: Operation) -> list[str]:
    """The plan of every statement one run of ``op`` sends (EXPLAIN ANALYZE on PostgreSQL,
    EXPLAIN QUERY PLAN on SQLite)."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        sent.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with factory() as s:
            op.calls[0](s)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    prefix = (
        "EXPLAIN (ANALYZE, BUFFERS) "
        if engine.dialect.name == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )
    lines: list[str] = []
    with engine.connect() as conn:
        for statement, params in sent:
            lines.append("  " + " ".join(statement.split())[:300])
            for row in conn.exec_driver_sql(prefix + statement, params):
                lines.append("    " + " | ".join(str(v) for v in row))
    return lines


# --- the run --------------------------------------------------------------------------------


def run_backend(
    backend: str,
    *,
    contacts: int,
    pg_url: str,
    runs: int,
    warmup: int,
    show_plans: bool,
    log: Callable[[str], None],
) -> dict[str, Timing]:
    today = date.today()
    with fresh_database(backend, pg_url) as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            stats = seed(engine, contacts=contacts, today=today)
            log(
                f"{BACKEND_TITLES[backend]}: seeded {stats.contacts:,} contacts, "
                f"{stats.notes:,} notes, {stats.stage_changes:,} stage changes, "
                f"{stats.admins} admins in {stats.seconds:.1f} s"
            )
            analyze(engine)
            factory = make_session_factory(engine)
            results: dict[str, Timing] = {}
            for op in operations(factory, sample_queries(factory, contacts), today):
                results[op.name] = measure(factory, op, runs=runs, warmup=warmup)
                log(
                    f"  {op.name:<44} p50 {results[op.name].p50:7.2f} ms   "
                    f"p95 {results[op.name].p95:7.2f} ms   (load {os.getloadavg()[0]:.1f})"
                )
                if show_plans:
                    for line in explain(engine, factory, op):
                        log(line)
            return results
        finally:
            engine.dispose()


def target_of(name: str, targets: dict[str, float] = TARGETS_MS) -> float | None:
    """The p95 target of an operation, by the word before its colon (None: no target)."""
    return targets.get(name.split(":", 1)[0])


def format_table(
    results: dict[str, dict[str, Timing]],
    contacts: int,
    runs: int,
    targets: dict[str, float] = TARGETS_MS,
) -> str:
    """A markdown table: p50 / p95 per operation per backend, and the target."""
    backends = list(results)
    names = list(next(iter(results.values())))
    header = ["operation"]
    for b in backends:
        header += [f"{BACKEND_TITLES[b]} p50", f"{BACKEND_TITLES[b]} p95"]
    header.append("target p95")
    lines = [
        f"{contacts:,} contacts, {runs} runs per operation, times in ms "
        "(✗ marks a p95 over its target)",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|",
    ]
    for name in names:
        target = target_of(name, targets)
        cells = [name]
        for b in backends:
            t = results[b][name]
            missed = target is not None and t.p95 > target
            cells += [f"{t.p50:.1f}", f"{t.p95:.1f}" + (" ✗" if missed else "")]
        cells.append("–" if target is None else f"≤ {target:g}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def within_targets(
    results: dict[str, dict[str, Timing]], targets: dict[str, float] = TARGETS_MS
) -> bool:
    return all(
        t.p95 <= target
        for per_op in results.values()
        for name, t in per_op.items()
        if (target := target_of(name, targets)) is not None
    )


def run(
    *,
    contacts: int,
    backends: list[str],
    pg_url: str,
    runs: int,
    warmup: int,
    json_path: Path | None,
    show_plans: bool,
) -> int:
    # A plain kill runs the clean-up too (the PostgreSQL database, the SQLite folder).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = {
        b: run_backend(
            b,
            contacts=contacts,
            pg_url=pg_url,
            runs=runs,
            warmup=warmup,
            show_plans=show_plans,
            log=lambda line: print(line, flush=True),
        )
        for b in backends
    }
    print()
    print(format_table(results, contacts, runs))
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(
            json.dumps(
                {
                    "contacts": contacts,
                    "runs": runs,
                    "results": {
                        b: {n: {"p50": t.p50, "p95": t.p95} for n, t in ops.items()}
                        for b, ops in results.items()
                    },
                },
                indent=2,
            )
        )
    return 0 if within_targets(results) else 1


def median_table(paths: list[Path], targets: dict[str, float] = TARGETS_MS) -> str:
    """The median p50 and p95 over several saved runs (``--json``), as one markdown table."""
    docs = [json.loads(p.read_text()) for p in paths]
    merged: dict[str, dict[str, Timing]] = {}
    for backend in docs[0]["results"]:
        merged[backend] = {
            name: Timing(
                p50=statistics.median(d["results"][backend][name]["p50"] for d in docs),
                p95=statistics.median(d["results"][backend][name]["p95"] for d in docs),
            )
            for name in docs[0]["results"][backend]
        }
    table = format_table(merged, docs[0]["contacts"], docs[0]["runs"], targets)
    return table.replace("times in ms", f"median of {len(docs)} runs, times in ms", 1)
