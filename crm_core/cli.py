"""`crm`, the operator's command line.

    crm db upgrade                          build or update the schema (Alembic, to head)
    crm contacts export FILE.csv            every live contact, team view ("-" for stdout)
    crm contacts import FILE.csv [--skip-bad]
    crm doctor                              check configuration, database, storage
    crm keygen                              print a new Fernet key
    crm check-bot-config                    fail in one line if the bot can't start

Settings are read once per command. A bad setting prints "Configuration error: ..." and exits
with status 2; anything else that goes wrong exits with status 1 and one sentence, never a
traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from crm_core.config import Settings, redact_url
from crm_core.errors import ConfigError, CRMError

Handler = Callable[[argparse.Namespace, Settings], int]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "keygen":  # needs no settings: it makes the missing key
            return cmd_keygen()
        if args.command == "doctor":
            return cmd_doctor()
        settings = Settings.from_env()
        handler: Handler = args.handler
        return handler(args, settings)
    except ConfigError as err:
        print(f"Configuration error: {err}", file=sys.stderr)
        return 2
    except CRMError as err:
        print(f"Error: {err}", file=sys.stderr)
        return 1
    except SQLAlchemyError as err:
        orig = getattr(err, "orig", None) or err
        lines = str(orig).strip().splitlines() or [type(orig).__name__]
        print(f"Database error: {lines[0]}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm", description="V3 CRM operator commands.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    db_commands.add_parser("upgrade", help="migrate the database to the newest schema")
    db.set_defaults(handler=cmd_db_upgrade)

    contacts = commands.add_parser("contacts", help="contacts as CSV")
    contact_commands = contacts.add_subparsers(
        dest="contacts_command", required=True, metavar="COMMAND"
    )
    export = contact_commands.add_parser("export", help="write every live contact to a CSV")
    export.add_argument("file", metavar="FILE.csv", help='where to write ("-" for stdout)')
    export.set_defaults(handler=cmd_contacts_export)
    imp = contact_commands.add_parser("import", help="create contacts from a CSV")
    imp.add_argument("file", metavar="FILE.csv")
    imp.add_argument(
        "--skip-bad",
        action="store_true",
        help="import the good rows and list the bad ones (default: import nothing if any is bad)",
    )
    imp.set_defaults(handler=cmd_contacts_import)

    commands.add_parser("doctor", help="check configuration, database, migrations and storage")
    commands.add_parser("keygen", help="print a new key for CRM_EMAIL_ENCRYPTION_KEY")
    keys = commands.add_parser("keys", help="the keys that seal mailbox passwords")
    keys_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")
    keys_commands.add_parser(
        "rotate", help="re-seal every mailbox password with the first CRM_EMAIL_ENCRYPTION_KEY"
    )
    keys.set_defaults(handler=cmd_keys_rotate)
    check = commands.add_parser(
        "check-bot-config", help="exit 1 with one line if the bot's settings are missing"
    )
    check.set_defaults(handler=cmd_check_bot_config)
    return parser


# --- commands -------------------------------------------------------------------------------


def cmd_db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    from crm_core.db import make_engine
    from crm_core.migrate import current_revision, upgrade

    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        revision = current_revision(engine)
    finally:
        engine.dispose()
    print(f"Database {redact_url(settings.database_url)} is at revision {revision} (head).")
    return 0


def cmd_contacts_export(args: argparse.Namespace, settings: Settings) -> int:
    from crm_core.services.contacts import ContactFilter, View, iter_filtered
    from crm_core.services.csv_io import export_contacts

    try:
        with _sessions(settings) as factory, factory.begin() as session:
            _sync_admins(session, settings)
            contacts = iter_filtered(session, 0, ContactFilter(view=View.TEAM))
            with _output(args.file) as out:
                count = export_contacts(session, out, contacts)
    except OSError as err:
        print(f"Can't write {args.file}: {err.strerror or err}", file=sys.stderr)
        return 1
    where = "stdout" if args.file == "-" else args.file
    print(f"Exported {_plural(count, 'contact')} to {where}", file=_info_stream(args.file))
    return 0


def cmd_contacts_import(args: argparse.Namespace, settings: Settings) -> int:
    from crm_core.services.csv_io import CSVImportError, import_contacts
    from crm_core.services.users import get_user_by_telegram_id

    today = datetime.now(settings.tz).date()
    try:
        with (
            open(args.file, newline="", encoding="utf-8-sig") as source,
            _sessions(settings) as factory,
        ):
            with factory.begin() as session:
                _sync_admins(session, settings)
            with factory.begin() as session:
                default_owner = None
                if settings.admins:
                    first = get_user_by_telegram_id(session, settings.admins[0].telegram_user_id)
                    default_owner = first.id if first else None
                result = import_contacts(
                    session,
                    source,
                    today=today,
                    default_owner_id=default_owner,
                    skip_bad=args.skip_bad,
                )
    except OSError as err:
        print(f"Can't read {args.file}: {err.strerror or err}", file=sys.stderr)
        return 1
    except UnicodeDecodeError:
        print(
            f'{args.file} isn\'t UTF-8 text: save it from the spreadsheet as "CSV UTF-8".',
            file=sys.stderr,
        )
        return 1
    except CSVImportError as err:
        for row in err.errors:
            print(row, file=sys.stderr)
        print(
            f"Nothing imported: {_plural(len(err.errors), 'bad row')}. Fix them, or use "
            "--skip-bad to import the good rows only.",
            file=sys.stderr,
        )
        return 1
    for row in result.skipped:
        print(f"{row} (skipped)", file=sys.stderr)
    summary = f"Imported {_plural(result.imported, 'contact')}"
    if result.skipped:
        summary += f", skipped {_plural(len(result.skipped), 'bad row')}"
    print(summary)
    return 0


def cmd_doctor() -> int:
    from crm_core.doctor import run_checks

    checks = run_checks(Settings.from_env)
    for check in checks:
        print(check)
    return 0 if all(c.ok for c in checks) else 1


def cmd_keygen() -> int:
    from crm_core.crypto import new_key

    print(new_key())
    return 0


def cmd_keys_rotate(_args: argparse.Namespace, settings: Settings) -> int:
    from crm_core.crypto import SecretBox
    from crm_core.services.email_config import rotate_passwords

    box = SecretBox(settings.email_keys)
    with _sessions(settings) as factory, factory.begin() as session:
        rotated = rotate_passwords(session, box)
    print(f"Re-sealed {_plural(rotated, 'mailbox password')} with the newest key.")
    return 0


def cmd_check_bot_config(_args: argparse.Namespace, settings: Settings) -> int:
    try:
        settings.require_bot()
    except ConfigError as err:
        print(f"Configuration error: {err}", file=sys.stderr)
        return 1
    print(f"Bot configuration OK: {_plural(len(settings.admins), 'admin')}.")
    return 0


# --- helpers --------------------------------------------------------------------------------


@contextmanager
def _sessions(settings: Settings) -> Iterator[sessionmaker[Session]]:
    from crm_core.db import make_engine, make_session_factory

    engine = make_engine(settings.database_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def _sync_admins(session: Session, settings: Settings) -> None:
    """Make the configured admins exist so they can own contacts. Without ADMIN_CHAT_IDS the
    users are left alone (syncing to an empty list would deactivate every admin)."""
    from crm_core.services.users import sync_admins

    if settings.admins:
        sync_admins(session, settings.admins)


@contextmanager
def _output(file: str) -> Iterator[TextIO]:
    """Stdout for "-"; otherwise a temporary file renamed over FILE once complete."""
    if file == "-":
        yield sys.stdout
        return
    target = Path(file)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as out:
            yield out
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _info_stream(file: str) -> TextIO:
    return sys.stderr if file == "-" else sys.stdout


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


if __name__ == "__main__":
    raise SystemExit(main())
