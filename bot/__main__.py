"""``crm-bot`` / ``python -m bot``: load settings, build the bot, run it (or the sandbox).

Only ``crm_core.config`` is imported before the mode is known, so that ``--check`` runs on a
bare Python with python-dotenv and cryptography (``make run`` checks before it installs).
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Sequence

from crm_core.config import Settings
from crm_core.errors import ConfigError

DESCRIPTION = """\
Run the V3 CRM Telegram bot: long polling, or webhooks when WEBHOOK_URL is set. Settings come
from the environment or a .env file (see .env.example).

With no TELEGRAM_BOT_TOKEN (and no sign of a deployment: DYNO, WEBHOOK_URL, S3_BUCKET or a
PostgreSQL DATABASE_URL) it starts the local sandbox instead: the real bot against a local
stand-in for Telegram, with a chat page at http://SANDBOX_HOST:SANDBOX_PORT (default
http://127.0.0.1:8080). The sandbox keeps its own SQLite file and files under SANDBOX_DIR
(default ./sandbox-data) and never touches DATABASE_URL or FILE_STORAGE_DIR."""

EXAMPLES = """\
examples:
  crm-bot                     the real bot (token set), or the sandbox (no token)
  crm-bot --sandbox --demo    the sandbox with about 40 demo contacts"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crm-bot",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="start the local sandbox even when a token is configured",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="with --sandbox (or no token): fill an empty sandbox database with demo contacts",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help='check the configuration, print what would start ("telegram" or "sandbox"), exit',
    )
    return parser


def choose_mode(settings: Settings, *, sandbox: bool, demo: bool) -> str:
    """Which mode starts, "sandbox" or "telegram"; ConfigError (one sentence) if neither can."""
    if sandbox or settings.sandbox_wanted():
        return "sandbox"
    if demo:
        raise ConfigError(
            "--demo only fills the sandbox (add --sandbox); it never touches a real database"
        )
    if not settings.telegram_token:
        raise ConfigError(
            f"TELEGRAM_BOT_TOKEN must be set: with {', '.join(settings.deployment)} set this "
            "looks like a deployment, where the local sandbox never starts on its own "
            "(`crm-bot --sandbox` forces it)"
        )
    settings.require_bot()
    return "telegram"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        mode = choose_mode(settings, sandbox=args.sandbox, demo=args.demo)
    except ConfigError as err:
        print(f"Configuration error: {err}", file=sys.stderr)
        return 2
    if args.check:
        print(mode)
        return 0
    from bot.startup import StartupError, redact_token_in_logs  # imports telegram: after --check

    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # PTB notes that per_message=False conversations are tracked per chat: that is the design.
    warnings.filterwarnings("ignore", message=".*per_message=False.*")
    redact_token_in_logs(settings.telegram_token)
    if mode == "sandbox":
        from bot import sandbox_mode

        sandbox_mode.run(settings, demo=args.demo)
        return 0
    from bot.app import run

    try:
        return run(settings)
    except ConfigError as err:
        print(f"Configuration error: {err}", file=sys.stderr)
        return 2
    except StartupError as err:
        print(err, file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl+C while waiting for Telegram, before PTB handles signals
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
