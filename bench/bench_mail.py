"""Mail sync at scale: a 20,000-message mailbox on a real Dovecot, 10,000 contacts.

For each backend: a fresh migrated database with the benchmark seed (10,000 contacts), one
mailbox on a Dovecot started like the tests' (tests/dovecot.py), filled with IMAP APPEND
(MULTIAPPEND, 500 at a time): 20,000 messages of which ``matches`` (500) are to or from 300 of
the contacts (a quarter of them in Sent), the rest from strangers. Then:

- **first sync**: wall time and peak RSS growth (Linux: the peak is reset through
  /proc/self/clear_refs before the sync, read from VmHWM after); the stored rows and cursors
  are erased between runs, Dovecot's own index stays warm after the first;
- **no-op sync**: an incremental sync with nothing new, timed, with its IMAP commands counted
  (every command imaplib sends, login and logout included).

Targets (issue 13): first sync under 60 s and under 100 MB growth; a no-op sync under 200 ms
with a constant number of round trips.
"""

from __future__ import annotations

import imaplib
import json
import multiprocessing
import random
import shutil
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from bench.bench_core import BACKEND_TITLES, analyze, fresh_database
from bench.seed import seed
from crm_core.crypto import SecretBox, new_key
from crm_core.db import make_engine, make_session_factory
from crm_core.mail.sync import MailOptions, SyncStatus, sync_mailbox
from crm_core.migrate import upgrade
from crm_core.models import Contact, Email, EmailAddressSeen, EmailConfig, EmailCursor
from crm_core.services.email_config import save_email_config
from tests.dovecot import Dovecot

USER = "alice@v3.test"
TODAY = date(2026, 11, 23)


@dataclass(frozen=True, slots=True)
class Result:
    backend: str
    messages: int
    matches: int
    stored: int
    first_sync_s: list[float]
    peak_growth_mb: list[float]
    noop_ms_p50: float
    noop_ms_max: float
    noop_commands: list[int]


def _message(rng: random.Random, sender: str, to: str, when: datetime, n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = f"Re: job {n} — {rng.choice(['quote', 'invoice', 'CCTV', 'site visit'])}"
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<bench-{n}@example.com>"
    body = " ".join(
        rng.choice(["lorem", "ipsum", "dolor", "amet", "site", "camera"])
        for _ in range(rng.randint(80, 600))
    )
    msg.set_content(body)
    if n % 7 == 0:
        msg.add_alternative(f"<html><body><p>{body}</p></body></html>", subtype="html")
    return msg.as_bytes()


def fill_mailbox(server: Dovecot, addresses: list[str], messages: int, matches: int) -> None:
    rng = random.Random(13)
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    match_at = set(rng.sample(range(messages), matches))
    inbox: list[bytes] = []
    sent: list[bytes] = []
    with server.client(USER) as imap:
        for n in range(messages):
            when = now - timedelta(minutes=n * 7)
            if n in match_at:
                contact = rng.choice(addresses)
                if rng.random() < 0.25:
                    sent.append(_message(rng, USER, contact, when, n))
                else:
                    inbox.append(_message(rng, contact, USER, when, n))
            else:
                inbox.append(_message(rng, f"someone{n}@elsewhere.example", USER, when, n))
            for folder, batch in (("INBOX", inbox), ("Sent", sent)):
                if len(batch) >= 500 or (n == messages - 1 and batch):
                    imap.multiappend(folder, batch)  # type: ignore[attr-defined]
                    batch.clear()


class CommandCounter:
    """Counts the IMAP commands imaplib sends (each is one round trip)."""

    def __init__(self) -> None:
        self.count = 0
        self._original = imaplib.IMAP4._command  # type: ignore[attr-defined]

    def __enter__(self) -> CommandCounter:
        original = self._original

        def counted(imap: Any, name: str, *args: Any) -> Any:
            self.count += 1
            return original(imap, name, *args)

        imaplib.IMAP4._command = counted  # type: ignore[attr-defined]
        return self

    def __exit__(self, *_: Any) -> None:
        imaplib.IMAP4._command = self._original  # type: ignore[attr-defined]


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def run(
    *,
    contacts: int,
    messages: int,
    matches: int,
    match_contacts: int,
    runs: int,
    backends: list[str],
    pg_url: str,
    json_path: Path | None,
) -> int:
    root = Path(tempfile.mkdtemp(prefix="crm-bench-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root)
    server.prepare()
    server.start()
    results = []
    try:
        filled = False
        for backend in backends:
            with fresh_database(backend, pg_url) as url:
                upgrade(url)
                engine = make_engine(url)
                try:
                    seed(engine, contacts=contacts, today=TODAY)
                    analyze(engine)  # planner statistics, as a live database has them
                    factory = make_session_factory(engine)
                    with factory() as s:
                        addresses = list(
                            s.scalars(
                                select(Contact.email)
                                .where(Contact.email.is_not(None))
                                .order_by(Contact.id)
                                .limit(match_contacts)
                            )
                        )
                    if not filled:
                        started = time.perf_counter()
                        fill_mailbox(server, [a for a in addresses if a], messages, matches)
                        print(
                            f"mailbox filled: {messages} messages in "
                            f"{time.perf_counter() - started:.0f} s"
                        )
                        filled = True
                    results.append(
                        _measure(backend, url, factory, server, runs, messages, matches)
                    )
                finally:
                    engine.dispose()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(table(results))
    if json_path:
        json_path.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0


def _first_sync(url: str, key: str, ca_file: Path) -> tuple[float, float, int]:
    """One first sync in a fresh process (spawned): its wall time, its peak RSS growth over
    the process as it stood just before (MB), and the rows stored."""
    engine = make_engine(url)
    try:
        factory = make_session_factory(engine)
        box = SecretBox([key])
        before = _rss_kb("VmRSS")
        _reset_peak()
        started = time.perf_counter()
        result = sync_mailbox(factory, box, 1, MailOptions(ca_file=ca_file), force=True)
        took = time.perf_counter() - started
        assert result.status is SyncStatus.OK, result.message
        return took, (_rss_kb("VmHWM") - before) / 1024, result.stored
    finally:
        engine.dispose()


def _measure(
    backend: str,
    url: str,
    factory: Any,
    server: Dovecot,
    runs: int,
    messages: int,
    matches: int,
) -> Result:
    key = new_key()
    box = SecretBox([key])
    options = MailOptions(ca_file=server.ca_file)
    with factory.begin() as s:
        save_email_config(
            s,
            box,
            1,
            username=USER,
            password=server.users[USER],
            host=server.host,
            port=server.tls_port,
        )
    firsts, growths = [], []
    stored = 0
    spawn = multiprocessing.get_context("spawn")
    for _ in range(runs):
        with factory.begin() as s:
            for model in (Email, EmailCursor, EmailAddressSeen):
                s.execute(delete(model))
            config = s.scalar(select(EmailConfig))
            config.last_synced_at = None
        with spawn.Pool(1) as pool:
            took, growth, stored = pool.apply(_first_sync, (url, key, server.ca_file))
        firsts.append(took)
        growths.append(growth)
        print(f"{backend}: first sync {took:.1f} s, peak RSS +{growth:.0f} MB, {stored} rows")
    noop_ms, commands = [], []
    for _ in range(20):
        with CommandCounter() as counter:
            started = time.perf_counter()
            result = sync_mailbox(factory, box, 1, options, force=True)
            noop_ms.append((time.perf_counter() - started) * 1000)
        assert result.stored == 0
        commands.append(counter.count)
    return Result(
        backend,
        messages,
        matches,
        stored,
        firsts,
        growths,
        statistics.median(noop_ms),
        max(noop_ms),
        sorted(set(commands)),
    )


def table(results: list[Result]) -> str:
    lines = [
        "| backend | first sync (median) | runs | peak RSS growth (median) | rows stored "
        "| no-op sync p50 / max | IMAP commands per no-op sync |",
        "|---|---:|---|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {BACKEND_TITLES[r.backend]} | {statistics.median(r.first_sync_s):.1f} s "
            f"| {', '.join(f'{t:.1f}' for t in r.first_sync_s)} s "
            f"| {statistics.median(r.peak_growth_mb):.0f} MB | {r.stored} "
            f"| {r.noop_ms_p50:.0f} / {r.noop_ms_max:.0f} ms "
            f"| {', '.join(map(str, r.noop_commands))} |"
        )
    return "\n".join(lines)
