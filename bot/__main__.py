"""``crm-bot`` / ``python -m bot``: load settings, build the bot, run it."""

from __future__ import annotations

import logging
import sys
import warnings

from bot.startup import StartupError, redact_token_in_logs
from crm_core.config import Settings
from crm_core.errors import ConfigError


def main() -> int:
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # PTB notes that per_message=False conversations are tracked per chat: that is the design.
    warnings.filterwarnings("ignore", message=".*per_message=False.*")
    try:
        settings = Settings.from_env()
        settings.require_bot()
    except ConfigError as err:
        print(f"Configuration error: {err}", file=sys.stderr)
        return 2
    redact_token_in_logs(settings.telegram_token)
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
