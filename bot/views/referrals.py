"""Referrals: a partner's card lines, and the partner picker that follows "Referred by a
partner" in /add and Edit."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot.callbacks import Cb
from bot.views.common import button, esc, keyboard, money
from crm_core.models import Contact
from crm_core.services.referrals import REFERRED_BY_A_PARTNER, ReferralSummary

#: The button under "How did they find us?" that leads to the partner picker: it says what
#: is stored.
REFERRAL_BUTTON = REFERRED_BY_A_PARTNER
#: The arguments of the picker's buttons, in the asking form's own action (the picker belongs
#: to whichever form asked): open it, a partner picked (``rp:<contact id>``), back to the
#: question.
PICK_PARTNER = "ref"
PARTNER_PICKED = "rp:"
PICKER_BACK = "refback"


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
    rows = [[button(p.name, Cb(action, contact_id, f"{PARTNER_PICKED}{p.id}"))] for p in partners]
    rows.append([button("« Back", Cb(action, contact_id, PICKER_BACK))])
    return text, keyboard(rows)


def partner_id_of(arg: str) -> int | None:
    """The partner a picker button names, or None for any other button."""
    rest = arg.removeprefix(PARTNER_PICKED)
    return int(rest) if rest != arg and rest.isascii() and rest.isdecimal() else None
