"""Email screens: /email (connect, status), the card's email line, its list and one email.

Pure: objects in, HTML text and keyboards out. Every button is a named action below.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot.actions import (
    EMAIL_NOTE,
    EMAIL_OPEN,
    EMAIL_SAVE,
    EMAILS,
    MAIL_CONNECT,
    MAIL_FORGET,
    MAIL_HOME,
    MAIL_HOST,
    MAIL_PASSWORD,
    MAIL_PAUSE,
    MAIL_PORT,
    MAIL_REMOVE,
    MAIL_SECURITY,
    MAIL_SYNC,
    MAIL_USER,
    OPEN,
)
from bot.callbacks import Cb
from bot.views.common import button, cut, esc, keyboard, when
from crm_core.models import Email
from crm_core.services.email_config import MailboxStatus
from crm_core.services.emails import EmailPage, EmailSummary

# -- actions (callback data, through bot.callbacks) --

ARROW = {"in": "←", "out": "→"}
NO_KEY = (
    "Email isn't available yet: the operator must set CRM_EMAIL_ENCRYPTION_KEY "
    "(make one with <code>crm keygen</code>)."
)
DELETED_NOTICE = "🔒 I deleted your message with the password from this chat."


def ago(value: datetime, now: datetime) -> str:
    """ "3 days ago", "2 hours ago", "just now"."""
    seconds = max(0, int((now - value).total_seconds()))
    for size, unit in (
        (86400 * 365, "year"),
        (86400 * 30, "month"),
        (86400, "day"),
        (3600, "hour"),
        (60, "minute"),
    ):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


# -- the connect form --------------------------------------------------------------------


def ask_host(
    default_host: str | None, error: str | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    text = (
        _error(error)
        + "📧 <b>Connect your mailbox</b> (step 1 of 5)\nWhich IMAP server? Type its host name"
    )
    if default_host:
        return text + " or tap the company's.", keyboard([[button(default_host, Cb(MAIL_HOST))]])
    return text + ".", None


def ask_port(error: str | None = None) -> tuple[str, InlineKeyboardMarkup]:
    text = _error(error) + "Which port? (step 2 of 5) Tap 993 or type another."
    return text, keyboard(
        [[button("993", Cb(MAIL_PORT, 0, "993")), button("143", Cb(MAIL_PORT, 0, "143"))]]
    )


def ask_security(allow_plain: bool) -> tuple[str, InlineKeyboardMarkup]:
    row = [
        button("TLS", Cb(MAIL_SECURITY, 0, "tls")),
        button("STARTTLS", Cb(MAIL_SECURITY, 0, "starttls")),
    ]
    if allow_plain:
        row.append(button("Plain (unencrypted)", Cb(MAIL_SECURITY, 0, "plain")))
    return "Which security? (step 3 of 5) TLS for port 993, STARTTLS for 143.", keyboard([row])


def ask_username(
    offered: str | None, error: str | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    text = _error(error) + "Your username (step 4 of 5), usually your email address:"
    if offered:
        return text + " tap it or type another.", keyboard([[button(offered, Cb(MAIL_USER))]])
    return text + " type it.", None


def ask_password(username: str, error: str | None = None) -> str:
    return (
        _error(error)
        + f"The password for <b>{esc(username)}</b> (step 5 of 5). Type it: I delete your "
        "message at once, test the login, and keep the password only encrypted. /cancel to stop."
    )


def checking_text() -> str:
    return "Testing the connection…"


def connected_text(folders: list[str]) -> str:
    return (
        "✅ Connected. I'll watch "
        + ", ".join(esc(f) for f in folders)
        + " and keep only emails to and from your contacts."
    )


def _error(error: str | None) -> str:
    return f"⚠️ {esc(error)}\n\n" if error else ""


# -- /email status -----------------------------------------------------------------------


def render_status(
    status: MailboxStatus, now: datetime, tz: ZoneInfo
) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        f"📧 <b>{esc(status.username)}</b>",
        f"Server: {esc(status.host)}:{status.port} ({status.security})",
    ]
    if status.paused:
        lines.append("Sync: ⏸ paused")
    elif status.login_refused:
        lines.append("Sync: ⛔ stopped — the server refused the login. Change the password.")
    if status.last_synced_at:
        lines.append(
            f"Last sync: {when(status.last_synced_at, tz)} ({ago(status.last_synced_at, now)})"
        )
    else:
        lines.append("Last sync: not yet")
    lines.append(f"Outcome: {esc(status.last_error) if status.last_error else 'OK'}")
    lines.append(f"Emails stored: {status.stored}")
    lines.append("Folders: " + (", ".join(esc(f) for f in status.folders) or "—"))
    pause = (
        button("▶️ Resume", Cb(MAIL_PAUSE, 0, "0"))
        if status.paused
        else button("⏸ Pause", Cb(MAIL_PAUSE, 0, "1"))
    )
    rows = [
        [button("🔄 Sync now", Cb(MAIL_SYNC)), pause],
        [button("🔑 Change password", Cb(MAIL_PASSWORD)), button("🗑 Remove", Cb(MAIL_REMOVE))],
        [button("Forget my mail", Cb(MAIL_FORGET))],
    ]
    return "\n".join(lines), keyboard(rows)


def not_connected() -> tuple[str, InlineKeyboardMarkup]:
    return (
        "📧 No mailbox connected. Connect yours and each contact's card shows the emails "
        "you exchanged with them (only those: nothing else is kept).",
        keyboard([[button("Connect mailbox", Cb(MAIL_CONNECT))]]),
    )


def remove_prompt(stored: int) -> tuple[str, InlineKeyboardMarkup]:
    return (
        f"Remove this mailbox? {stored} email{'s' if stored != 1 else ''} from it are stored "
        "on contacts' cards: keep them or forget them?",
        keyboard(
            [
                [button("Remove, keep emails", Cb(MAIL_REMOVE, 0, "keep"))],
                [button("Remove and forget emails", Cb(MAIL_REMOVE, 0, "forget"))],
                [button("« Back", Cb(MAIL_HOME))],
            ]
        ),
    )


def removed_text(erased: int) -> str:
    extra = f" and forgot {erased} stored email{'s' if erased != 1 else ''}" if erased else ""
    return f"Mailbox removed{extra}. Its password is deleted. /email connects one again."


def forget_prompt(stored: int) -> tuple[str, InlineKeyboardMarkup]:
    return (
        f"Erase all {stored} emails stored from your mailbox? The mailbox stays connected; "
        "they come back only if you connect it again from scratch.",
        keyboard(
            [
                [
                    button("Yes, forget them", Cb(MAIL_FORGET, 0, "yes")),
                    button("« Back", Cb(MAIL_HOME)),
                ]
            ]
        ),
    )


def login_refused_text(reason: str | None) -> str:
    return (
        f"⛔ Your mailbox login was refused: {esc(reason or 'no reason given')}\n"
        "Email sync is paused until you fix it: /email → Change password."
    )


# -- the card and its emails -------------------------------------------------------------


def card_email_line(summary: EmailSummary, now: datetime) -> str | None:
    """ "Last email: 3 days ago ← Re: CCTV quote" (None when there is none)."""
    latest = summary.latest
    if latest is None:
        return None
    subject = esc(cut(latest.subject or "(no subject)", 60))
    return f"Last email: {ago(latest.sent_at, now)} {ARROW[latest.direction]} {subject}"


def email_list(
    contact_name: str, contact_id: int, page: EmailPage, tz: ZoneInfo
) -> tuple[str, InlineKeyboardMarkup]:
    if not page.emails:
        text = f"No emails with <b>{esc(contact_name)}</b> yet."
    else:
        text = f"<b>Emails with {esc(contact_name)}</b> ({page.total}), newest first" + (
            f" — page {page.page} of {page.pages}" if page.pages > 1 else ""
        )
    rows = [
        [
            button(
                f"{e.sent_at.astimezone(tz):%d %b} {ARROW[e.direction]} "
                f"{e.subject or '(no subject)'}",
                Cb(EMAIL_OPEN, e.id),
            )
        ]
        for e in page.emails
    ]
    nav = []
    if page.page > 1:
        nav.append(button("« Newer", Cb(EMAILS, contact_id, str(page.page - 1))))
    if page.page < page.pages:
        nav.append(button("Older »", Cb(EMAILS, contact_id, str(page.page + 1))))
    return text, keyboard([*rows, nav, [button("« Card", Cb(OPEN, contact_id))]])


def render_email(email: Email, tz: ZoneInfo) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        f"{ARROW[email.direction]} <b>{esc(email.subject or '(no subject)')}</b>",
        f"<i>{when(email.sent_at, tz)}</i>",
        f"From: {esc(email.from_addr)}",
        f"To: {esc(cut(email.to_addrs, 300))}" if email.to_addrs else "",
        f"Cc: {esc(cut(email.cc_addrs, 300))}" if email.cc_addrs else "",
        "",
        esc(email.snippet) if email.snippet else "<i>(no text)</i>",
    ]
    if email.attachments:
        lines.append(
            "\n📎 " + ", ".join(f"{esc(name)} ({_size(size)})" for name, size in email.attachments)
        )
    rows = []
    if email.attachments:
        rows.append([button("💾 Save attachments", Cb(EMAIL_SAVE, email.id))])
    rows.append([button("📝 Add as note", Cb(EMAIL_NOTE, email.id))])
    rows.append(
        [
            button("« Emails", Cb(EMAILS, email.contact_id, "1")),
            button("« Card", Cb(OPEN, email.contact_id)),
        ]
    )
    return "\n".join(line for line in lines if line is not None), keyboard(rows)


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} bytes"


def saved_text(saved: int, too_big: list[str]) -> str:
    text = f"Saved {saved} attachment{'s' if saved != 1 else ''} to the contact's files."
    if too_big:
        text += " Too big to keep (over 20 MB): " + ", ".join(esc(n) for n in too_big) + "."
    return text
