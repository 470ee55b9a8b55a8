"""Lists of contacts: /list with filters, search results, /today, /trash, the main menu."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.actions import (
    LIST_PAGE,
    LIST_STATUS,
    LIST_TYPE,
    LIST_VIEW,
    MENU,
    OPEN,
    PURGE,
    PURGE_YES,
    RESTORE,
    TRASH,
)
from bot.callbacks import Cb
from bot.views.cards import contact_line
from bot.views.common import button, cut, day, esc, keyboard, when
from crm_core.models import Contact
from crm_core.services.followups import DueItem
from crm_core.services.listing import ContactFilter, Page, View
from crm_core.services.trash import TRASH_DAYS
from crm_core.stages import ContactType, Status

TYPE_CHOICES: tuple[tuple[str, str], ...] = (
    ("all", "All"),
    (ContactType.EVICTION_CLIENT.value, "Eviction"),
    (ContactType.PREVENTION_PROSPECT.value, "Prevention"),
    (ContactType.REFERRAL_PARTNER.value, "Partner"),
)
STATUS_CHOICES: tuple[tuple[str, str], ...] = (
    ("all", "All"),
    (Status.ACTIVE.value, "Active"),
    (Status.WON.value, "Won"),
    (Status.LOST.value, "Lost"),
    (Status.DORMANT.value, "Dormant"),
)


def main_menu() -> InlineKeyboardMarkup:
    def item(label: str, arg: str) -> InlineKeyboardButton:
        return button(label, Cb(MENU, 0, arg))

    return keyboard(
        [
            [item("➕ Add contact", "add"), item("🔎 Find", "find")],
            [item("📋 List", "list"), item("📅 Today", "today")],
            [item("📊 Dashboard", "dash"), item("🗑 Trash", "trash")],
        ]
    )


def filter_from_state(state: dict[str, str] | None) -> ContactFilter:
    state = state or {}
    ctype = state.get("type", "all")
    status = state.get("status", "all")
    return ContactFilter(
        view=View(state.get("view", View.TEAM.value)),
        contact_type=None if ctype == "all" else ContactType(ctype),
        status=None if status == "all" else Status(status),
    )


def render_list(page: Page, flt: ContactFilter, today: date) -> str:
    scope = "My contacts" if flt.view is View.MINE else "Team"
    kind = flt.contact_type.label + "s" if flt.contact_type else "all types"
    status = flt.status.value if flt.status else "any status"
    head = f"<b>{scope}</b> · {kind} · {status}\n"
    if not page.total:
        return head + "\nNo contacts match. Change the filters or /add one."
    lines = [
        head + f"{page.total} contact{'s' if page.total != 1 else ''}, page "
        f"{page.page} of {page.pages}, soonest follow-up first:"
    ]
    for c in page.items:
        due = day(c.next_followup_date, today) if c.next_followup_date else "no follow-up"
        lines.append(f"• {esc(c.name)} — {due}")
    return "\n".join(lines)


def list_keyboard(page: Page, flt: ContactFilter) -> InlineKeyboardMarkup:
    current_type = flt.contact_type.value if flt.contact_type else "all"
    current_status = flt.status.value if flt.status else "all"

    def mark(selected: bool, label: str) -> str:
        return f"• {label}" if selected else label

    types = [button(mark(k == current_type, lbl), Cb(LIST_TYPE, 0, k)) for k, lbl in TYPE_CHOICES]
    statuses = [
        button(mark(k == current_status, lbl), Cb(LIST_STATUS, 0, k)) for k, lbl in STATUS_CHOICES
    ]
    toggle = (
        button("👥 Show team", Cb(LIST_VIEW, 0, View.TEAM.value))
        if flt.view is View.MINE
        else button("👤 My contacts", Cb(LIST_VIEW, 0, View.MINE.value))
    )
    nav = [toggle]
    # Each carries its edge contact: the next page is what follows it, however deep.
    if page.has_prev and page.items:
        nav.insert(0, button("« Prev", Cb(LIST_PAGE, page.page - 1, f"b{page.items[0].id}")))
    if page.has_next and page.items:
        nav.append(button("Next »", Cb(LIST_PAGE, page.page + 1, f"a{page.items[-1].id}")))
    contacts = [[button(contact_line(c), Cb(OPEN, c.id))] for c in page.items]
    return keyboard([types, statuses, *contacts, nav])


#: At most this many contacts on /today (text and buttons), so that a long backlog of
#: 200-character names still fits in one message.
SCREEN_ITEMS = 30
NAME_IN_LINE = 60


def search_results(
    query: str, contacts: list[Contact], *, more: bool = False, in_trash: int = 0
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Matches as buttons; ``more`` when the search found more than are shown; ``in_trash``:
    how many deleted contacts match (said when no live one does)."""
    query = cut(" ".join(query.split()), 80)  # a pasted essay must not overflow the reply
    if not contacts:
        text = (
            f"No contact matches “{esc(query)}”. "
            "Try part of a name, email, company or phone, or /add it."
        )
        if in_trash:
            one = in_trash == 1
            text += (
                f"\n\n{in_trash} deleted contact{'' if one else 's'} in the trash "
                f"match{'es' if one else ''}: send /trash {esc(query)} to restore "
                f"{'it' if one else 'them'}."
            )
        return text, None
    text = f"{len(contacts)} match{'es' if len(contacts) != 1 else ''} for “{esc(query)}”:"
    if more:
        text = f"The best {len(contacts)} matches for “{esc(query)}” (there are more: type more "
        text += "of the name, or an email or phone):"
    return text, keyboard([[button(contact_line(c), Cb(OPEN, c.id))] for c in contacts])


def render_today(items: list[DueItem], today: date) -> tuple[str, InlineKeyboardMarkup | None]:
    if not items:
        return "Nothing due today. 🎉", None
    overdue = sum(1 for i in items if i.days_overdue > 0)
    head = f"<b>Follow-ups</b> — {len(items) - overdue} due today, {overdue} overdue"
    lines = [head]
    shown = items[:SCREEN_ITEMS]
    for item in shown:
        c = item.contact
        assert c.next_followup_date is not None
        lines.append(f"• {esc(cut(c.name, NAME_IN_LINE))} — {day(c.next_followup_date, today)}")
    if len(items) > len(shown):
        lines.append(f"…and {len(items) - len(shown)} more, oldest first above.")
    buttons = [[button(contact_line(i.contact), Cb(OPEN, i.contact.id))] for i in shown]
    return "\n".join(lines), keyboard(buttons)


def render_trash(
    page: Page, query: str, tz: ZoneInfo, now: datetime
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A page of the trash (of those matching ``query``, if any), with Prev/Next."""
    shown_query = esc(cut(" ".join(query.split()), 80))
    show_all = [button("Show the whole trash", Cb(TRASH, 1, "all"))]
    if not page.total:
        if query:
            return f"Nothing in the trash matches “{shown_query}”.", keyboard([show_all])
        return "The trash is empty.", None
    lines = [f"<b>Trash</b> — deleted contacts are erased for good after {TRASH_DAYS} days."]
    if query:
        lines.append(f"Matching “{shown_query}”:")
    if page.pages > 1:
        lines.append(
            f"{page.total} contacts, page {page.page} of {page.pages}, "
            "most recently deleted first:"
        )
    rows = []
    for c in page.items:
        assert c.deleted_at is not None
        left = TRASH_DAYS - (now - c.deleted_at).days
        name = esc(cut(c.name, NAME_IN_LINE))
        lines.append(f"• {name} — deleted {when(c.deleted_at, tz)}, {left} days left")
        rows.append(
            [
                button(f"↩️ Restore {c.name}", Cb(RESTORE, c.id)),
                button("❌ Delete forever", Cb(PURGE, c.id)),
            ]
        )
    nav = []
    if page.has_prev:
        nav.append(button("« Prev", Cb(TRASH, page.page - 1)))
    if page.has_next:
        nav.append(button("Next »", Cb(TRASH, page.page + 1)))
    if nav:
        rows.append(nav)
    if query:
        rows.append(show_all)
    elif page.pages > 1:
        lines.append("\nSearch it: /trash and part of a name, email, company or phone.")
    return "\n".join(lines), keyboard(rows)


def purge_prompt(contact: Contact) -> tuple[str, InlineKeyboardMarkup]:
    return (
        f"Erase <b>{esc(contact.name)}</b> for good, with all notes, stage history and files? "
        "This can't be undone.",
        keyboard(
            [[button("Yes, erase now", Cb(PURGE_YES, contact.id)), button("No", Cb(TRASH, 0))]]
        ),
    )
