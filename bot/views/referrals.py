"""Referrals: a partner's card lines, and the partner picker that follows "Referred by a
partner" in /add and Edit."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot.arguments import PICKER_BACK, Partner
from bot.views.common import esc, keyboard, money
from bot.views.forms import answer_button
from crm_core.models import Contact
from crm_core.services.referrals import REFERRED_BY_A_PARTNER, ReferralSummary

#: The button under "How did they find us?" that leads to the partner picker: it says what
#: is stored.
REFERRAL_BUTTON = REFERRED_BY_A_PARTNER


def card_lines(summary: ReferralSummary | None, tz: ZoneInfo) -> list[str]:
    """A partner's card: "Referred: N contacts", their jobs and paid revenue, the last date
    and the latest names."""
    if summary is None:
        return []
    noun = "contact" if summary.contacts == 1 else "contacts"
    lines = [f"Referred: {summary.contacts} {noun}"]
    if summary.contacts:
        lines.append(f"Their jobs: {summary.jobs} · {money(summary.revenue)} paid")
        if summary.last_referred_at:
            lines.append(f"Last referral: {summary.last_referred_at.astimezone(tz):%d %b %Y}")
        lines.append("Latest: " + ", ".join(esc(name) for _, name in summary.latest))
    return lines


def partner_picker(
    action: str, contact_id: int, partners: list[Contact], query: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    """Which partner referred them: the recent five (or the matches of a typed search)."""
    if query and not partners:
        text = f"No referral partner matches “{esc(query)}”. Type another part of a name."
    elif query:
        text = f"Partners matching “{esc(query)}” — tap one:"
    elif partners:
        text = "Which partner referred them? Tap a recent one, or type part of a name."
    else:
        text = "There are no referral partners yet: add one with /add first, or go back."
    # The picker's buttons answer in the asking form's own action (``bot.actions.Answer``).
    rows = [[answer_button(p.name, action, contact_id, Partner(p.id))] for p in partners]
    rows.append([answer_button("« Back", action, contact_id, PICKER_BACK)])
    return text, keyboard(rows)
