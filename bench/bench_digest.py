"""How fast the morning digests are built: 50 admins over 100,000 contacts.

For each backend: a fresh migrated database, the benchmark seed (contacts with notes and stage
history, follow-ups spread over ±60 days) with its contacts dealt round-robin to ``admins``
admins, then ANALYZE. Timed, each run in its own session as the bot does it:

- ``build all``: ``build_digests`` for every admin at once (what the 08:00 check builds);
- ``claim + build``: ``claim_due_digests`` at the digest time on an empty ledger (who is due,
  the claim INSERT, then the build) — the whole database side of a morning;
- ``3 local dates``: the build with admins spread over timezones a day apart (one count
  query per local date);
- ``render``: the pure renderers turning every digest into Telegram messages (no database);
- ``/digest``: one admin's digest.

SQL statements are counted with a ``before_cursor_execute`` listener and reported per admin.
Target (issue 5): a constant number of queries per admin and under 1 s for all 50.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, event, insert, text, update
from sqlalchemy.orm import Session, sessionmaker

from bench.bench_core import BACKEND_TITLES, analyze, fresh_database, timing_of
from bench.seed import seed
from bot.views.digest import digest_messages
from crm_core.db import make_engine, make_session_factory
from crm_core.migrate import upgrade
from crm_core.models import Contact, DigestDelivery, User
from crm_core.services.digests import build_digest, build_digests, claim_due_digests

TARGET_MS = 1000.0
DEFAULT_TZ = "Europe/London"
DIGEST_TIME = dtime(8, 0)


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    p50: float
    p95: float
    queries: int
    admins: int

    @property
    def per_admin(self) -> float:
        return self.queries / self.admins


class QueryCounter:
    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        self.count += 1


def add_admins(engine: Engine, admins: int, today: date) -> list[int]:
    """Top the seed's admins up to ``admins`` and deal the contacts out round-robin."""
    with Session(engine) as session, session.begin():
        have = session.query(User.id).count()
        created = datetime.combine(today, dtime(9), tzinfo=UTC) - timedelta(days=400)
        if admins > have:
            session.execute(
                insert(User),
                [
                    {
                        "id": uid,
                        "telegram_user_id": 900_000 + uid,
                        "display_name": f"Admin {uid}",
                        "created_at": created,
                    }
                    for uid in range(have + 1, admins + 1)
                ],
            )
        session.execute(update(Contact).values(owner_id=Contact.id % admins + 1))
        if engine.dialect.name == "postgresql":
            session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) "
                    "FROM users))"
                )
            )
    return list(range(1, admins + 1))


def timed(
    factory: sessionmaker[Session],
    engine: Engine,
    fn: Callable[[Session], object],
    *,
    runs: int,
    warmup: int,
    admins: int,
    name: str,
    before: Callable[[], None] | None = None,
    write: bool = False,
) -> Result:
    counter = QueryCounter(engine)
    try:
        for _ in range(warmup):
            if before:
                before()
            with factory.begin() if write else factory() as s:
                fn(s)
        times: list[float] = []
        queries = 0
        for _ in range(runs):
            if before:
                before()
            counter.count = 0
            started = time.perf_counter()
            with factory.begin() if write else factory() as s:
                fn(s)
            times.append((time.perf_counter() - started) * 1000)
            queries = counter.count
    finally:
        event.remove(engine, "before_cursor_execute", counter._seen)
    t = timing_of(times)
    return Result(name, t.p50, t.p95, queries, admins)


def run_backend(
    backend: str,
    *,
    contacts: int,
    admins: int,
    pg_url: str,
    runs: int,
    warmup: int,
    log: Callable[[str], None],
) -> list[Result]:
    today = date(2026, 11, 23)
    now = datetime(2026, 11, 23, 8, 0, 30, tzinfo=UTC)  # 08:00 in London
    with fresh_database(backend, pg_url) as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            stats = seed(engine, contacts=contacts, today=today)
            ids = add_admins(engine, admins, today)
            analyze(engine)
            if engine.dialect.name == "sqlite":
                # Fold the seed's huge WAL into the database, as a live one was long ago:
                # otherwise the first timed reads pay for it.
                with engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            factory = make_session_factory(engine)
            with factory() as s:
                due = (
                    s.query(Contact)
                    .filter(Contact.deleted_at.is_(None), Contact.next_followup_date <= today)
                    .count()
                )
            log(
                f"{BACKEND_TITLES[backend]}: {stats.contacts:,} contacts, {stats.notes:,} notes, "
                f"{admins} admins, {due:,} follow-ups due ({due / admins:.0f} per admin) "
                f"— seeded in {stats.seconds:.1f} s"
            )
            targets = dict.fromkeys(ids, today)
            results: list[Result] = []

            def add(result: Result) -> None:
                results.append(result)
                log(
                    f"  {result.name:<34} p50 {result.p50:8.1f} ms  p95 {result.p95:8.1f} ms  "
                    f"{result.queries} queries ({result.per_admin:.2f} per admin)"
                )

            add(
                timed(
                    factory,
                    engine,
                    lambda s: build_digests(s, targets),
                    runs=runs,
                    warmup=warmup,
                    admins=admins,
                    name=f"build all ({admins} admins)",
                )
            )

            def empty_ledger() -> None:
                with factory.begin() as s:
                    s.execute(delete(DigestDelivery))

            add(
                timed(
                    factory,
                    engine,
                    lambda s: claim_due_digests(
                        s, now, default_tz=DEFAULT_TZ, default_time=DIGEST_TIME
                    ),
                    runs=runs,
                    warmup=warmup,
                    admins=admins,
                    name="claim + build (08:00 check)",
                    before=empty_ledger,
                    write=True,
                )
            )
            # At 10:30 UTC it is the 22nd in Pago Pago, the 23rd in London, the 24th on
            # Kiritimati: three local dates, so three count queries.
            zones = ("Pacific/Pago_Pago", "Europe/London", "Pacific/Kiritimati")
            at = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
            mixed = {uid: at.astimezone(ZoneInfo(zones[uid % 3])).date() for uid in ids}
            add(
                timed(
                    factory,
                    engine,
                    lambda s: build_digests(s, mixed),
                    runs=runs,
                    warmup=warmup,
                    admins=admins,
                    name=f"build all, {len(set(mixed.values()))} local dates",
                )
            )
            with factory() as s:
                built = build_digests(s, targets)
            started = time.perf_counter()
            for _ in range(runs):
                messages = [digest_messages(d) for d in built.values()]
            render_ms = (time.perf_counter() - started) * 1000 / runs
            items = sum(len(d.items) for d in built.values())
            log(
                f"  {'render all (no database)':<34} mean {render_ms:7.1f} ms  "
                f"{items:,} items -> {sum(len(m) for m in messages):,} messages"
            )
            results.append(Result("render all (no database)", render_ms, render_ms, 0, admins))
            add(
                timed(
                    factory,
                    engine,
                    lambda s: build_digest(s, ids[0], today),
                    runs=runs,
                    warmup=warmup,
                    admins=1,
                    name="/digest (one admin)",
                )
            )
            return results
        finally:
            engine.dispose()


def format_table(results: dict[str, list[Result]], contacts: int, admins: int, runs: int) -> str:
    backends = list(results)
    header = ["operation"]
    for b in backends:
        header += [
            f"{BACKEND_TITLES[b]} p50 ms",
            f"{BACKEND_TITLES[b]} p95 ms",
            f"{BACKEND_TITLES[b]} queries/admin",
        ]
    lines = [
        f"{contacts:,} contacts, {admins} admins, {runs} runs; target: all digests < "
        f"{TARGET_MS:g} ms, constant queries per admin",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|",
    ]
    for i, first in enumerate(results[backends[0]]):
        cells = [first.name]
        for b in backends:
            r = results[b][i]
            cells += [
                f"{r.p50:.1f}",
                f"{r.p95:.1f}",
                "—" if r.queries == 0 else f"{r.per_admin:.2f} ({r.queries})",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run(
    *,
    contacts: int,
    admins: int,
    backends: list[str],
    pg_url: str,
    runs: int,
    warmup: int,
    json_path: Path | None,
) -> int:
    results = {
        b: run_backend(
            b,
            contacts=contacts,
            admins=admins,
            pg_url=pg_url,
            runs=runs,
            warmup=warmup,
            log=lambda line: print(line, flush=True),
        )
        for b in backends
    }
    print()
    print(format_table(results, contacts, admins, runs))
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(
            json.dumps(
                {
                    "contacts": contacts,
                    "admins": admins,
                    "runs": runs,
                    "results": {b: [asdict(r) for r in rs] for b, rs in results.items()},
                },
                indent=2,
            )
        )
    ok = all(
        r.p95 <= TARGET_MS for rs in results.values() for r in rs if r.name.startswith("build")
    )
    return 0 if ok else 1
