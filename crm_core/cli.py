"""`crm`, the operator's command line.

    crm db upgrade                          build or update the schema (Alembic, to head)
    crm contacts export FILE.csv            every live contact, team view ("-" for stdout)
    crm contacts import FILE.csv [--skip-bad]
    crm revenue check [--fix]               revenue and referral credit against the jobs
    crm report [--period 90d] --out DIR     /report's charts (PNG) and figures (CSV)
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
        from crm_core.migrate import driver_reason

        print(f"Database error: {driver_reason(err)}.", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crm",
        description="V3 CRM operator commands. Settings come from the environment or .env.",
        epilog="Example: crm doctor",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        parent: argparse._SubParsersAction[argparse.ArgumentParser],
        name: str,
        summary: str,
        example: str,
    ) -> argparse.ArgumentParser:
        return parent.add_parser(
            name,
            help=summary,
            description=summary[0].upper() + summary[1:] + ".",
            epilog=f"Example: {example}",
        )

    db = command(commands, "db", "manage the database schema", "crm db upgrade")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    command(
        db_commands,
        "upgrade",
        "create the tables or migrate them to the newest schema (Heroku's release phase runs "
        "this)",
        "DATABASE_URL=postgresql://crm@localhost/crm crm db upgrade",
    )
    db.set_defaults(handler=cmd_db_upgrade)

    contacts = command(
        commands, "contacts", "export or import contacts as CSV", "crm contacts export all.csv"
    )
    contact_commands = contacts.add_subparsers(
        dest="contacts_command", required=True, metavar="COMMAND"
    )
    export = command(
        contact_commands,
        "export",
        "write every live contact to a CSV file",
        "crm contacts export contacts.csv   (or - for standard output)",
    )
    export.add_argument("file", metavar="FILE.csv", help='where to write ("-" for stdout)')
    export.set_defaults(handler=cmd_contacts_export)
    imp = command(
        contact_commands,
        "import",
        "create contacts from a CSV file, checking every row like /add does; duplicates (same "
        "email or phone, a very similar name at the same company) are listed by line and "
        "skipped",
        "crm contacts import contacts.csv --skip-bad",
    )
    imp.add_argument("file", metavar="FILE.csv")
    imp.add_argument(
        "--skip-bad",
        action="store_true",
        help="import the good rows and list the bad ones (default: import nothing if any is bad)",
    )
    imp.add_argument(
        "--allow-duplicates",
        action="store_true",
        help="import rows that duplicate a contact too (default: list and skip them)",
    )
    imp.set_defaults(handler=cmd_contacts_import)

    revenue = command(commands, "revenue", "totals derived from jobs", "crm revenue check --fix")
    revenue_commands = revenue.add_subparsers(
        dest="revenue_command", required=True, metavar="COMMAND"
    )
    check_totals = command(
        revenue_commands,
        "check",
        "recompute revenue and referral credit from the jobs and report any drift",
        "crm revenue check --fix",
    )
    check_totals.add_argument("--fix", action="store_true", help="repair what drifted")
    check_totals.set_defaults(handler=cmd_revenue_check)

    rep = command(
        commands,
        "report",
        "write /report's charts (PNG) and figures (CSV) to a folder",
        "crm report --period 90d --out report/",
    )
    rep.add_argument("--period", default="90d", help="30d, 90d, 12m, Nd or FROM..TO dates")
    rep.add_argument("--out", required=True, metavar="DIR", help="folder to write into")
    rep.set_defaults(handler=cmd_report)

    command(
        commands,
        "doctor",
        "check the configuration, database, migrations, storage and Telegram, one line each; "
        "exit 0 when all is well",
        "crm doctor",
    )
    command(
        commands, "keygen", "print a new key for CRM_EMAIL_ENCRYPTION_KEY", "crm keygen >> .env"
    )
    keys = command(
        commands,
        "keys",
        "manage the keys that seal mailbox passwords",
        "crm keys rotate",
    )
    keys_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")
    command(
        keys_commands,
        "rotate",
        "re-seal every mailbox password with the first (newest) CRM_EMAIL_ENCRYPTION_KEY",
        "crm keys rotate",
    )
    keys.set_defaults(handler=cmd_keys_rotate)
    check = command(
        commands,
        "check-bot-config",
        "exit 1 with one line if the bot's settings are missing",
        "crm check-bot-config && crm-bot",
    )
    check.set_defaults(handler=cmd_check_bot_config)
    return parser


# --- commands -------------------------------------------------------------------------------


def cmd_db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    from crm_core.db import make_engine
    from crm_core.migrate import current_revision, upgrade

    settings.require_durable_storage()  # the release phase refuses SQLite on a dyno
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        revision = current_revision(engine)
    finally:
        engine.dispose()
    print(f"Database {redact_url(settings.database_url)} is at revision {revision} (head).")
    return 0


def cmd_contacts_export(args: argparse.Namespace, settings: Settings) -> int:
    from crm_core.migrate import require_schema
    from crm_core.services.csv_io import export_contacts
    from crm_core.services.listing import ContactFilter, View, iter_filtered

    require_schema(settings.database_url)
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
    from crm_core.migrate import require_schema
    from crm_core.services.csv_io import CSVImportError, import_contacts
    from crm_core.services.users import get_user_by_telegram_id

    today = datetime.now(settings.tz).date()
    try:
        with open(args.file, newline="", encoding="utf-8-sig") as source:
            require_schema(settings.database_url)  # before connecting makes an empty SQLite file
            with _sessions(settings) as factory:
                with factory.begin() as session:
                    _sync_admins(session, settings)
                with factory.begin() as session:
                    default_owner = None
                    if settings.admins:
                        first = get_user_by_telegram_id(
                            session, settings.admins[0].telegram_user_id
                        )
                        default_owner = first.id if first else None
                    result = import_contacts(
                        session,
                        source,
                        today=today,
                        default_owner_id=default_owner,
                        skip_bad=args.skip_bad,
                        allow_duplicates=args.allow_duplicates,
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
    for row in sorted([*result.skipped, *result.duplicates], key=lambda r: r.line):
        print(f"{row} (skipped)", file=sys.stderr)
    if result.duplicates:
        print("Duplicates are skipped; --allow-duplicates imports them too.", file=sys.stderr)
    if not result.imported and result.duplicates and not result.skipped:
        print(
            f"Imported nothing: all {_plural(len(result.duplicates), 'row')} are contacts the "
            "CRM already has"
        )
        return 0
    summary = f"Imported {_plural(result.imported, 'contact')}"
    if result.duplicates:
        summary += f", skipped {_plural(len(result.duplicates), 'duplicate')}"
    if result.skipped:
        summary += f", skipped {_plural(len(result.skipped), 'bad row')}"
    print(summary)
    return 0


def cmd_revenue_check(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 when every total agrees with the jobs (or, with --fix, was repaired), else 1."""
    from crm_core.services.revenue import check_totals

    with _sessions(settings) as factory, factory.begin() as session:
        drifts = check_totals(session, fix=args.fix)
    for drift in drifts:
        print(drift)
    if not drifts:
        print("Revenue and referral credit agree with the jobs.")
        return 0
    if args.fix:
        print(f"Fixed {_plural(len(drifts), 'total')}.")
        return 0
    print(f"{_plural(len(drifts), 'total')} drifted: run with --fix to repair.", file=sys.stderr)
    return 1


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """Every pipeline's charts and one CSV of all the figures, written into --out."""
    from crm_core.report_files import write_report

    now = datetime.now(settings.tz)
    try:
        with _sessions(settings) as factory, factory.begin() as session:
            written = write_report(
                session, Path(args.out), args.period, now, settings.stage_probabilities
            )
    except OSError as err:
        print(f"Can't write to {args.out}: {err.strerror or err}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
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
