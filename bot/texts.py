"""Fixed sentences the bot says. Texts that depend on data are in ``bot.views``."""

from __future__ import annotations

from crm_core.services.contacts import TRASH_DAYS

REFUSAL_SHORT = "This bot is private."
SOMETHING_WRONG = "Something went wrong; nothing was saved. Please try again."
STALE_BUTTON = "That button is out of date. Send /start for the menu."
GONE = "That contact no longer exists."
CANCELLED = "Cancelled — nothing was saved."
NOTHING_TO_CANCEL = "Nothing to cancel."
NOTHING_TO_SKIP = "Nothing to skip: no question is waiting for an answer."
SKIP_NOT_HERE = "There's nothing to skip here: answer the question above, or /cancel."
LEFT_WIZARD = "Left the new-contact form; nothing was saved."
USE_BUTTONS = "Please tap one of the buttons below."
EDIT_IGNORED = "Edited messages aren't picked up: send the text again as a new message."
FORM_CLOSED = "That form was closed; start again from the card or the menu."
OLD_QUESTION = "That question is answered already; use the latest message below."
#: Before the parts of a quick-add line that fit no field (on the summary and in the note).
NOT_RECOGNISED = "Not recognised (kept as a note)"
#: The note a quick add leaves with what it could not place.
QUICK_ADD_NOTE = "Typed in the quick add, not recognised"
#: Under the first question of /add.
QUICK_ADD_HINT = (
    "\n\n<i>Or the whole contact on one line: Jane Smith, jane@example.com, 07700 900123, "
    "eviction</i>"
)
#: A button newer than the form's own record: the answer before it was lost (a crash before
#: it was saved), so the form asks again from where it is.
ANSWER_LOST = "Sorry, your last answer was lost in a restart. Please answer again:"

HELP = (
    "<b>V3 CRM</b> — contacts, notes, stages and follow-ups from your phone.\n\n"
    "/add — add a contact (or share a phone contact with me); all on one line: "
    "/add <i>name, email, phone, type</i>\n"
    "/find <i>text</i> — find a contact (or just type a name)\n"
    "/list — browse contacts with filters\n"
    "/today — follow-ups due today and overdue\n"
    "/dashboard — figures for you and the team\n"
    "/report — conversion, revenue and forecast, with charts\n"
    "/digest — today's follow-up digest now\n"
    "/settings — your digest time, timezone and days\n"
    "/email — connect your mailbox: cards show the emails with each contact\n"
    f"/trash — deleted contacts (kept {TRASH_DAYS} days)\n"
    "/export — your current /list as a CSV file\n"
    "/cancel — leave what you're doing\n\n"
    "Reply to a contact card with text to add a note, or with a photo or document "
    "(sent or forwarded) to attach it; 📎 Files on the card lists them."
)

#: The command menu (setMyCommands), in the order of issue 3's list of commands.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "Main menu"),
    ("help", "What this bot does"),
    ("add", "Add a contact"),
    ("find", "Find a contact"),
    ("list", "Browse contacts"),
    ("today", "Follow-ups due today"),
    ("dashboard", "Figures for you and the team"),
    ("report", "Conversion and revenue, with charts"),
    ("digest", "Today's follow-up digest"),
    ("settings", "Digest time, timezone and days"),
    ("email", "Your mailbox and email sync"),
    ("trash", "Deleted contacts"),
    ("export", "Current list as CSV"),
    ("cancel", "Leave what you're doing"),
)


def unknown_command(command: str, *, form_open: bool) -> str:
    """``command`` is HTML-escaped already."""
    known = " ".join(f"/{name}" for name, _ in COMMANDS)
    still = "\nYour form is still open: answer the question above, or /cancel."
    return f"I don't know {command}. The commands are: {known}.{still if form_open else ''}"


#: /app: added to the command menu only when PUBLIC_URL is set.
APP_COMMAND = ("app", "Open the CRM page")
APP_OPEN = "The whole CRM on one page: dashboard, contacts and the pipeline board."
APP_NOT_CONFIGURED = "The CRM page isn't set up here (PUBLIC_URL is not configured)."


def refusal(user_id: int) -> str:
    return (
        "Sorry, this is V3 Services' private CRM. "
        f"If you should have access, give the owner your Telegram id: {user_id}"
    )
