"""Pure mail pieces: snippets, subjects, keys; the email screens, checked against the double's
Telegram HTML parser (what passes here is what Telegram accepts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.actions import EMAIL_NOTE, EMAIL_SAVE, EMAILS
from bot.callbacks import Cb
from bot.views import email as views
from crm_core.mail.parse import (
    SNIPPET_MAX,
    cut_quoted,
    decode_words,
    html_to_text,
    message_key,
    normalise_address,
    summarise,
)
from crm_core.models import Email
from crm_core.services.email_config import MailboxStatus
from crm_core.services.emails import EmailPage, EmailSummary
from sandbox import parse_html

TZ = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
HOSTILE = '<b>Bob & "Co"</b>'


def plain(html: str) -> str:
    return parse_html(html)[0]


def email(**fields: object) -> Email:
    base: dict[str, object] = {
        "id": 5,
        "contact_id": 7,
        "direction": "in",
        "sent_at": NOW - timedelta(days=3),
        "from_addr": f"{HOSTILE} <jane@example.com>",
        "to_addrs": "alice@v3.test",
        "cc_addrs": "",
        "subject": "Re: CCTV quote <urgent>",
        "snippet": "See you & thanks",
        "attachments": [["plan.pdf", 2_500_000]],
        "message_key": "<k@x>",
    }
    base.update(fields)
    return Email(**base)


def test_cut_quoted_keeps_only_the_new_text():
    text = "Thanks!\n\n\n\nSee you Tuesday.\n> quoted\nOn Mon, 1 Jan, Jane wrote:\n> more"
    assert cut_quoted(text) == "Thanks!\n\nSee you Tuesday."
    assert cut_quoted("Body\n-- \nJane Smith\nAcme") == "Body"
    assert len(cut_quoted("x" * 2000)) == SNIPPET_MAX


def test_html_to_text_drops_styles_and_keeps_blocks():
    html = "<style>p{color:red}</style><p>Hello&nbsp;<b>you</b></p><div>Line 2<br>3</div>"
    assert cut_quoted(html_to_text(html)) == "Hello you\n\nLine 2\n3"
    assert html_to_text("<p>unclosed <b>tags") == "\nunclosed tags"


def test_subjects_and_keys():
    assert decode_words("=?utf-8?q?Caf=C3=A9?= menu") == "Café menu"
    assert decode_words("=?bogus-charset?q?x?=") == "=?bogus-charset?q?x?="
    assert decode_words(None) == ""
    assert normalise_address(" <Jane@Example.COM> ") == "jane@example.com"
    assert message_key(b" <a@b> ", NOW, "x", "s") == "<a@b>"
    hashed = message_key(None, NOW, "Jane@x.com", "Hi")
    assert hashed.startswith("sha256:")
    assert hashed == message_key("", NOW, "jane@X.com", "Hi")  # sender's case is no difference
    assert hashed != message_key("", NOW, "jane@x.com", "Hi again")


def test_summarise_never_raises_on_broken_mail():
    broken = (
        b"Content-Type: text/plain; charset=x-unknown-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n@@not base64@@\xff\r\n"
    )
    body = summarise(broken)
    assert isinstance(body.snippet, str)
    assert body.attachments == []


def test_card_line_and_list_and_one_email():
    summary = EmailSummary(2, email())
    line = views.card_email_line(summary, NOW)
    assert plain(line) == "Last email: 3 days ago ← Re: CCTV quote <urgent>"
    assert views.card_email_line(EmailSummary(0, None), NOW) is None
    page = EmailPage([email(), email(id=6, direction="out", subject="")], 1, 2, 9)
    text, markup = views.email_list(HOSTILE, 7, page, TZ)
    assert plain(text) == f"Emails with {HOSTILE} (9), newest first — page 1 of 2"
    labels = [b.text for row in markup.inline_keyboard for b in row]
    assert labels == [
        "20 Nov ← Re: CCTV quote <urgent>",
        "20 Nov → (no subject)",
        "Older »",
        "« Card",
    ]
    text, markup = views.render_email(email(), TZ)
    shown = plain(text)
    assert f"From: {HOSTILE} <jane@example.com>" in shown
    assert "See you & thanks" in shown
    assert "plan.pdf (2.4 MB)" in shown
    datas = [Cb.decode(b.callback_data) for row in markup.inline_keyboard for b in row]
    assert [d.action for d in datas] == [EMAIL_SAVE, EMAIL_NOTE, EMAILS, "open"]


@pytest.mark.parametrize(
    ("paused", "refused", "pause_label"),
    [
        (False, False, "⏸ Pause"),
        (True, False, "▶️ Resume"),
        (False, True, "⏸ Pause"),
    ],
)
def test_status_screen(paused, refused, pause_label):
    status = MailboxStatus(
        username="alice@v3.test",
        host="mail.v3.test",
        port=993,
        security="TLS",
        paused=paused,
        login_refused=refused,
        last_synced_at=NOW - timedelta(hours=2),
        last_error="The mail server <x> did not answer" if refused else None,
        stored=12,
        folders=["INBOX", "Sent"],
    )
    text, markup = views.render_status(status, NOW, TZ)
    shown = plain(text)
    assert "Emails stored: 12" in shown
    assert "Folders: INBOX, Sent" in shown
    assert "Last sync: 23 Nov 2026 08:00 (2 hours ago)" in shown
    assert ("refused the login" in shown) is refused
    labels = [b.text for row in markup.inline_keyboard for b in row]
    assert labels == [
        "🔄 Sync now",
        pause_label,
        "🔑 Change password",
        "🗑 Remove",
        "Forget my mail",
    ]


def test_questions_are_valid_html():
    for text in (
        views.ask_host("mail.v3.test")[0],
        views.ask_host(None, "<bad> & host")[0],
        views.ask_port("nope")[0],
        views.ask_username("a@b.c")[0],
        views.ask_password(HOSTILE, "The server said <no>"),
        views.NO_KEY,
        views.login_refused_text("[AUTH] <x>"),
        views.removed_text(3),
        views.forget_prompt(4)[0],
        views.remove_prompt(1)[0],
        views.connected_text(["INBOX", "Sent <x>"]),
        views.saved_text(1, ["a<b>"]),
    ):
        plain(text)  # raises on markup Telegram would refuse
    assert [b.text for row in views.ask_security(False)[1].inline_keyboard for b in row] == [
        "TLS",
        "STARTTLS",
    ]
