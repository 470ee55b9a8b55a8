"""python -m bench [core] [--contacts N] [--backend sqlite|postgres|both] [--pg-url URL]
python -m bench median RESULT.json...   (the median of saved runs, as a markdown table)
python -m bench bot [--contacts N] [--updates N] [--clients N] [--backend ...]   (the bot)
python -m bench digest [--contacts N] [--admins N] [--backend ...]   (morning digests)
python -m bench files [--photos N] [--rate-limit]   (attachments into S3 on moto)
python -m bench report [--contacts N] [--jobs N] [--backend ...]   (/report's figures, charts)
python -m bench mail [--messages N] [--backend ...]   (mail sync against a real Dovecot)
python -m bench web [--contacts N] [--backend ...] [--no-browser]   (the Mini App's API and page)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.bench_core import DEFAULT_PG_URL, median_table, run


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv.insert(0, "core")  # `python -m bench` alone runs the core benchmark
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    core = commands.add_parser("core", help="search, list and dashboard at scale")
    core.add_argument("--contacts", type=int, default=100_000)
    core.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    core.add_argument(
        "--pg-url",
        default=DEFAULT_PG_URL,
        help="a PostgreSQL server (any database on it); crm_bench_<pid> is made and dropped",
    )
    core.add_argument("--runs", type=int, default=200, help="timed runs per operation")
    core.add_argument("--warmup", type=int, default=20)
    core.add_argument("--json", type=Path, help="also save the figures to this file")
    core.add_argument(
        "--explain", action="store_true", help="print the query plans of each operation"
    )

    bot = commands.add_parser("bot", help="the Telegram bot through the Bot API double")
    bot.add_argument("--contacts", type=int, default=10_000)
    bot.add_argument("--updates", type=int, default=2_000, help="timed updates per bot")
    bot.add_argument("--clients", type=int, default=1, help="admins at once (1-5)")
    bot.add_argument(
        "--rounds", type=int, default=4, help="alternating echo and bot rounds (same load)"
    )
    bot.add_argument("--warmup", type=int, default=20, help="untimed updates per admin and round")
    bot.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    bot.add_argument("--pg-url", default=DEFAULT_PG_URL)
    bot.add_argument(
        "--rate-limit", action="store_true", help="keep PTB's AIORateLimiter (30 messages/s)"
    )
    bot.add_argument("--json", type=Path, help="also save the figures to this file")
    bot.add_argument(
        "--profile", type=Path, help="cProfile the bot's event loop thread into this file"
    )
    bot.add_argument(
        "--py-spy",
        type=Path,
        help="sample every thread of each bot process with py-spy (collapsed stacks, "
        "PATH-<bot>-<backend>-<round>.txt)",
    )

    digest = commands.add_parser("digest", help="building every admin's morning digest")
    digest.add_argument("--contacts", type=int, default=100_000)
    digest.add_argument("--admins", type=int, default=50)
    digest.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    digest.add_argument("--pg-url", default=DEFAULT_PG_URL)
    digest.add_argument("--runs", type=int, default=20)
    digest.add_argument("--warmup", type=int, default=3)
    digest.add_argument("--json", type=Path, help="also save the figures to this file")

    files = commands.add_parser("files", help="photos through the bot into S3 (moto)")
    files.add_argument("--photos", type=int, default=200)
    files.add_argument("--min-mb", type=float, default=1.0)
    files.add_argument("--max-mb", type=float, default=3.0)
    files.add_argument(
        "--rate-limit", action="store_true", help="keep PTB's AIORateLimiter (30 messages/s)"
    )
    files.add_argument(
        "--window", type=int, default=10, help="photos in flight at once (0: all at once)"
    )
    files.add_argument("--json", type=Path, help="also save the figures to this file")

    rep = commands.add_parser("report", help="/report's figures and charts at scale")
    rep.add_argument("--contacts", type=int, default=100_000)
    rep.add_argument("--jobs", type=int, default=50_000)
    rep.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    rep.add_argument("--pg-url", default=DEFAULT_PG_URL)
    rep.add_argument("--runs", type=int, default=30)
    rep.add_argument("--warmup", type=int, default=3)
    rep.add_argument("--chart-runs", type=int, default=10)
    rep.add_argument("--json", type=Path, help="also save the figures to this file")
    mail = commands.add_parser("mail", help="first and no-op sync of a big mailbox (Dovecot)")
    mail.add_argument("--contacts", type=int, default=10_000)
    mail.add_argument("--messages", type=int, default=20_000)
    mail.add_argument("--matches", type=int, default=500)
    mail.add_argument("--match-contacts", type=int, default=300)
    mail.add_argument("--runs", type=int, default=3, help="first syncs per backend")
    mail.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    mail.add_argument("--pg-url", default=DEFAULT_PG_URL)
    mail.add_argument("--json", type=Path, help="also save the figures to this file")
    web_bench = commands.add_parser("web", help="the Mini App's API over HTTP, and its page")
    web_bench.add_argument("--contacts", type=int, default=100_000)
    web_bench.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    web_bench.add_argument("--pg-url", default=DEFAULT_PG_URL)
    web_bench.add_argument("--runs", type=int, default=200)
    web_bench.add_argument("--warmup", type=int, default=20)
    web_bench.add_argument(
        "--no-browser", action="store_true", help="skip the first-render timing in Chromium"
    )
    web_bench.add_argument("--json", type=Path, help="also save the figures to this file")
    web_bench.add_argument(
        "--database",
        action="append",
        default=[],
        help="a database seeded before (sqlite:///... or postgresql://...), used instead of "
        "seeding a new one; once per backend",
    )

    median = commands.add_parser("median", help="combine saved runs into one table")
    median.add_argument("files", nargs="+", type=Path)

    args = parser.parse_args(argv)
    if args.command == "bot":
        from bench import bench_bot

        return bench_bot.run(
            contacts=args.contacts,
            updates=args.updates,
            rounds=args.rounds,
            backends=["sqlite", "postgres"] if args.backend == "both" else [args.backend],
            pg_url=args.pg_url,
            clients=args.clients,
            warmup=args.warmup,
            rate_limit=args.rate_limit,
            json_path=args.json,
            profile=args.profile,
            py_spy=args.py_spy,
        )
    if args.command == "digest":
        from bench import bench_digest

        return bench_digest.run(
            contacts=args.contacts,
            admins=args.admins,
            backends=["sqlite", "postgres"] if args.backend == "both" else [args.backend],
            pg_url=args.pg_url,
            runs=args.runs,
            warmup=args.warmup,
            json_path=args.json,
        )
    if args.command == "files":
        from bench import bench_files

        return bench_files.run(
            photos=args.photos,
            low_mb=args.min_mb,
            high_mb=args.max_mb,
            rate_limit=args.rate_limit,
            window=args.window,
            json_path=args.json,
        )
    if args.command == "report":
        from bench import bench_report

        return bench_report.run(
            contacts=args.contacts,
            jobs=args.jobs,
            backends=["sqlite", "postgres"] if args.backend == "both" else [args.backend],
            pg_url=args.pg_url,
            runs=args.runs,
            warmup=args.warmup,
            chart_runs=args.chart_runs,
            json_path=args.json,
        )
    if args.command == "mail":
        from bench import bench_mail

        return bench_mail.run(
            contacts=args.contacts,
            messages=args.messages,
            matches=args.matches,
            match_contacts=args.match_contacts,
            runs=args.runs,
            backends=["sqlite", "postgres"] if args.backend == "both" else [args.backend],
            pg_url=args.pg_url,
            json_path=args.json,
        )
    if args.command == "web":
        from bench import bench_web

        return bench_web.run(
            contacts=args.contacts,
            backends=["sqlite", "postgres"] if args.backend == "both" else [args.backend],
            pg_url=args.pg_url,
            runs=args.runs,
            warmup=args.warmup,
            json_path=args.json,
            browser=not args.no_browser,
            databases={
                "sqlite" if url.startswith("sqlite") else "postgres": url for url in args.database
            },
        )
    if args.command == "median":
        import json

        saved = json.loads(args.files[0].read_text())
        if saved.get("kind") == "web":
            from bench import bench_web

            print(bench_web.median_of_runs(args.files))
        elif "clients" in saved:  # saved by `bench bot`
            from bench import bench_bot

            print(bench_bot.median_table(args.files))
        else:
            print(median_table(args.files))
        return 0
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    return run(
        contacts=args.contacts,
        backends=backends,
        pg_url=args.pg_url,
        runs=args.runs,
        warmup=args.warmup,
        json_path=args.json,
        show_plans=args.explain,
    )


if __name__ == "__main__":
    raise SystemExit(main())
