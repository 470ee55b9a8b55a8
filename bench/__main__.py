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
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.bench_core import DEFAULT_PG_URL, median_table

#: One command-line argument: its flags and ``add_argument``'s options.
Arg = tuple[tuple[str, ...], dict[str, Any]]


def arg(*flags: str, **options: Any) -> Arg:
    return flags, options


def backend() -> Arg:
    return arg("--backend", choices=("sqlite", "postgres", "both"), default="both")


def pg_url(**options: Any) -> Arg:
    return arg("--pg-url", default=DEFAULT_PG_URL, **options)


def json_file() -> Arg:
    return arg("--json", type=Path, help="also save the figures to this file")


def rate_limit() -> Arg:
    return arg(
        "--rate-limit", action="store_true", help="keep PTB's AIORateLimiter (30 messages/s)"
    )


def backends(args: argparse.Namespace) -> list[str]:
    """``--backend``: one backend, or both in turn."""
    return ["sqlite", "postgres"] if args.backend == "both" else [args.backend]


def databases(args: argparse.Namespace) -> dict[str, Any]:
    """The arguments every benchmark on a database takes."""
    return {"backends": backends(args), "pg_url": args.pg_url, "json_path": args.json}


Runner = Callable[[argparse.Namespace], int]


@dataclass(frozen=True)
class Command:
    """A sub-command: its help line, its arguments, and what runs it."""

    help: str
    arguments: tuple[Arg, ...]
    run: Runner


def benchmark(module: str, options: Callable[[argparse.Namespace], dict[str, Any]]) -> Runner:
    """Runs ``bench.<module>.run(**options(args))``; the module is imported only then."""

    def run(args: argparse.Namespace) -> int:
        result: int = importlib.import_module(f"bench.{module}").run(**options(args))
        return result

    return run


def run_median(args: argparse.Namespace) -> int:
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


COMMANDS: dict[str, Command] = {
    "core": Command(
        "search, list and dashboard at scale",
        (
            arg("--contacts", type=int, default=100_000),
            backend(),
            pg_url(
                help="a PostgreSQL server (any database on it); crm_bench_<pid> is made and "
                "dropped"
            ),
            arg("--runs", type=int, default=200, help="timed runs per operation"),
            arg("--warmup", type=int, default=20),
            json_file(),
            arg("--explain", action="store_true", help="print the query plans of each operation"),
        ),
        benchmark(
            "bench_core",
            lambda a: {
                **databases(a),
                "contacts": a.contacts,
                "runs": a.runs,
                "warmup": a.warmup,
                "show_plans": a.explain,
            },
        ),
    ),
    "bot": Command(
        "the Telegram bot through the Bot API double",
        (
            arg("--contacts", type=int, default=10_000),
            arg("--updates", type=int, default=2_000, help="timed updates per bot"),
            arg("--clients", type=int, default=1, help="admins at once (1-5)"),
            arg(
                "--rounds", type=int, default=4, help="alternating echo and bot rounds (same load)"
            ),
            arg("--warmup", type=int, default=20, help="untimed updates per admin and round"),
            backend(),
            pg_url(),
            rate_limit(),
            json_file(),
            arg(
                "--profile", type=Path, help="cProfile the bot's event loop thread into this file"
            ),
            arg(
                "--py-spy",
                type=Path,
                help="sample every thread of each bot process with py-spy (collapsed stacks, "
                "PATH-<bot>-<backend>-<round>.txt)",
            ),
        ),
        benchmark(
            "bench_bot",
            lambda a: {
                **databases(a),
                "contacts": a.contacts,
                "updates": a.updates,
                "rounds": a.rounds,
                "clients": a.clients,
                "warmup": a.warmup,
                "rate_limit": a.rate_limit,
                "profile": a.profile,
                "py_spy": a.py_spy,
            },
        ),
    ),
    "digest": Command(
        "building every admin's morning digest",
        (
            arg("--contacts", type=int, default=100_000),
            arg("--admins", type=int, default=50),
            backend(),
            pg_url(),
            arg("--runs", type=int, default=20),
            arg("--warmup", type=int, default=3),
            json_file(),
        ),
        benchmark(
            "bench_digest",
            lambda a: {
                **databases(a),
                "contacts": a.contacts,
                "admins": a.admins,
                "runs": a.runs,
                "warmup": a.warmup,
            },
        ),
    ),
    "files": Command(
        "photos through the bot into S3 (moto)",
        (
            arg("--photos", type=int, default=200),
            arg("--min-mb", type=float, default=1.0),
            arg("--max-mb", type=float, default=3.0),
            rate_limit(),
            arg(
                "--window", type=int, default=10, help="photos in flight at once (0: all at once)"
            ),
            json_file(),
        ),
        benchmark(
            "bench_files",
            lambda a: {
                "photos": a.photos,
                "low_mb": a.min_mb,
                "high_mb": a.max_mb,
                "rate_limit": a.rate_limit,
                "window": a.window,
                "json_path": a.json,
            },
        ),
    ),
    "report": Command(
        "/report's figures and charts at scale",
        (
            arg("--contacts", type=int, default=100_000),
            arg("--jobs", type=int, default=50_000),
            backend(),
            pg_url(),
            arg("--runs", type=int, default=30),
            arg("--warmup", type=int, default=3),
            arg("--chart-runs", type=int, default=10),
            json_file(),
        ),
        benchmark(
            "bench_report",
            lambda a: {
                **databases(a),
                "contacts": a.contacts,
                "jobs": a.jobs,
                "runs": a.runs,
                "warmup": a.warmup,
                "chart_runs": a.chart_runs,
            },
        ),
    ),
    "mail": Command(
        "first and no-op sync of a big mailbox (Dovecot)",
        (
            arg("--contacts", type=int, default=10_000),
            arg("--messages", type=int, default=20_000),
            arg("--matches", type=int, default=500),
            arg("--match-contacts", type=int, default=300),
            arg("--runs", type=int, default=3, help="first syncs per backend"),
            backend(),
            pg_url(),
            json_file(),
        ),
        benchmark(
            "bench_mail",
            lambda a: {
                **databases(a),
                "contacts": a.contacts,
                "messages": a.messages,
                "matches": a.matches,
                "match_contacts": a.match_contacts,
                "runs": a.runs,
            },
        ),
    ),
    "web": Command(
        "the Mini App's API over HTTP, and its page",
        (
            arg("--contacts", type=int, default=100_000),
            backend(),
            pg_url(),
            arg("--runs", type=int, default=200),
            arg("--warmup", type=int, default=20),
            arg(
                "--no-browser",
                action="store_true",
                help="skip the first-render timing in Chromium",
            ),
            json_file(),
            arg(
                "--database",
                action="append",
                default=[],
                help="a database seeded before (sqlite:///... or postgresql://...), used instead "
                "of seeding a new one; once per backend",
            ),
        ),
        benchmark(
            "bench_web",
            lambda a: {
                **databases(a),
                "contacts": a.contacts,
                "runs": a.runs,
                "warmup": a.warmup,
                "browser": not a.no_browser,
                "databases": {
                    "sqlite" if url.startswith("sqlite") else "postgres": url for url in a.database
                },
            },
        ),
    ),
    "median": Command(
        "combine saved runs into one table",
        (arg("files", nargs="+", type=Path),),
        run_median,
    ),
}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    for name, command in COMMANDS.items():
        sub = commands.add_parser(name, help=command.help)
        for flags, options in command.arguments:
            sub.add_argument(*flags, **options)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv.insert(0, "core")  # `python -m bench` alone runs the core benchmark
    args = parser().parse_args(argv)
    return COMMANDS[args.command].run(args)


if __name__ == "__main__":
    raise SystemExit(main())
