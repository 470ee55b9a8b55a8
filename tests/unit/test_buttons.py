"""Every button the views can draw reads back and is handled.

Each function of ``bot.views`` that returns a keyboard (or buttons) is called with the sample
arguments below; every button's data must decode with the one codec and be claimed by a
``CallbackQueryHandler`` of the real Application (no silent unclaimed buttons). A new
keyboard-drawing view fails here until it has a row in ``SAMPLES``. And the registry has no
orphans: every action is drawn by some view, and every handler's pattern claims some button.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import typing
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import CallbackQueryHandler

import bot.views
from bot import actions, arguments
from bot.actions import (
    ADD,
    ATTACH_CATEGORY,
    ATTACH_SET,
    EDIT_ANSWER,
    FOLLOWUP_ANSWER,
    REGISTRY,
    StaleButton,
)
from bot.arguments import (
    Answer,
    Cancel,
    FieldPick,
    Partner,
    QuickDate,
    Skip,
    Value,
    encode_answer,
    parse_answer,
)
from bot.callbacks import MAX_BYTES, Cb
from bot.views import (
    cards,
    digest,
    email,
    files,
    forms,
    forwarded,
    jobs,
    lists,
    referrals,
    report,
    settings,
)
from crm_core.fields import ADD_STEPS
from crm_core.schedule import QUICK_DATES
from crm_core.services.duplicates import Duplicate
from crm_core.services.email_config import MailboxStatus
from crm_core.services.emails import EmailPage
from crm_core.services.followups import DueItem
from crm_core.services.listing import ContactFilter, Page, View
from crm_core.services.preferences import DigestPreferences
from crm_core.stages import PIPELINES, ContactType, JobStatus
from tests.unit.test_digest_views import digest as a_digest
from tests.unit.test_digest_views import item
from tests.unit.test_email_parse_views import email as an_email
from tests.unit.test_files_views import file
from tests.unit.test_jobs_views import job
from tests.unit.test_views import contact, note
from tests.unit.wiring import every_handler, wired_application

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
TODAY = date(2026, 11, 23)


def _tz() -> ZoneInfo:
    return ZoneInfo("Europe/London")


def _status(*, paused: bool) -> MailboxStatus:
    return MailboxStatus(
        username="alice@v3.test",
        host="mail.v3.test",
        port=993,
        security="TLS",
        paused=paused,
        login_refused=False,
        last_synced_at=NOW - timedelta(hours=2),
        last_error=None,
        stored=3,
        folders=["INBOX"],
    )


def _page(*, page: int = 2, deleted: bool = False) -> Page[Any]:
    gone = {"deleted_at": NOW - timedelta(days=3)} if deleted else {}
    items = [contact(id=10 + i, name=f"C{i}", **gone) for i in range(3)]
    return Page(items=items, total=25, page=page, page_size=10)


def _contacts_of_every_type() -> list[Any]:
    return [contact(contact_type=t.value, current_stage=PIPELINES[t][0].key) for t in ContactType]


def _forms() -> Iterator[object]:
    owners = [(1, "Alice"), (2, "Bob")]
    for field in forms.QUESTIONS:
        for action in (ADD, EDIT_ANSWER, FOLLOWUP_ANSWER):
            yield forms.choice_buttons(field, action, 7, owners)
            yield forms.question_markup(field, action, 7, owners=owners)
        yield forms.question_markup(field, ADD, extra=[("✅ Save now", arguments.ANSWER_SAVE_NOW)])


#: Each keyboard-drawing view and calls of it that between them draw every kind of button it
#: can. A view missing here fails ``test_every_keyboard_view_has_samples``.
SAMPLES: dict[str, Callable[[], Iterable[object]]] = {
    "cards.app_keyboard": lambda: [cards.app_keyboard("https://crm.test/app")],
    "cards.card_keyboard": lambda: [
        cards.card_keyboard(7),
        cards.card_keyboard(7, 3, 2, app_url="https://crm.test/app#7"),
    ],
    "cards.stage_keyboard": lambda: [cards.stage_keyboard(c) for c in _contacts_of_every_type()],
    "cards.delete_keyboard": lambda: [cards.delete_keyboard(7)],
    "cards.undo_keyboard": lambda: [cards.undo_keyboard(7)],
    "cards.notes_page": lambda: [cards.notes_page(contact(), [note("Hi")], 20, 5, _tz(), 5)],
    "digest.action_row": lambda: [digest.action_row(7)],
    "digest.item_rows": lambda: [digest.item_rows(item(1)), digest.item_rows(item(2), 3)],
    "digest.outcome_rows": lambda: [digest.outcome_rows(7)],
    "digest.next_rows": lambda: [digest.next_rows(7, o.key) for o in digest.OUTCOMES],
    "digest.status_rows": lambda: [digest.status_rows(7, "Done")],
    "digest.digest_messages": lambda: [digest.digest_messages(a_digest([item(1), item(2)]))],
    "digest.reminder_message": lambda: [digest.reminder_message(item(1), NOW, _tz())],
    "email.ask_host": lambda: [email.ask_host("imap.v3.test"), email.ask_host(None)],
    "email.ask_port": lambda: [email.ask_port()],
    "email.ask_security": lambda: [email.ask_security(True)],
    "email.ask_username": lambda: [email.ask_username("alice@v3.test")],
    "email.render_status": lambda: [
        email.render_status(_status(paused=p), NOW, _tz()) for p in (False, True)
    ],
    "email.not_connected": lambda: [email.not_connected()],
    "email.remove_prompt": lambda: [email.remove_prompt(3)],
    "email.forget_prompt": lambda: [email.forget_prompt(3)],
    "email.email_list": lambda: [
        email.email_list("Olive", 7, EmailPage([an_email()], 2, 3, 30), _tz())
    ],
    "email.render_email": lambda: [email.render_email(an_email(), _tz())],
    "files.contact_question": lambda: [files.contact_question("a photo", [contact()], "tok")],
    "files.search_results": lambda: [files.search_results("ol", [contact()], "tok")],
    "files.category_buttons": lambda: [
        files.category_buttons(ATTACH_CATEGORY, 7, "tok"),
        files.category_buttons(ATTACH_SET, 7, "tok"),
    ],
    "files.category_question": lambda: [files.category_question("a photo", contact(), "tok")],
    "files.saved_keyboard": lambda: [files.saved_keyboard(7, "tok", can_change=True)],
    "files.change_keyboard": lambda: [files.change_keyboard(7, "tok")],
    "files.retry_keyboard": lambda: [files.retry_keyboard(7, "tok")],
    "files.render_files": lambda: [
        files.render_files(contact(), [file(i) for i in range(1, 30)], _tz(), page=2)
    ],
    "files.delete_prompt": lambda: [files.delete_prompt(contact(), file(3))],
    "files.sent_keyboard": lambda: [files.sent_keyboard(7)],
    "forms.choice_buttons": lambda: list(_forms()),
    "forms.question_markup": lambda: list(_forms()),
    "forms.add_summary_keyboard": lambda: [forms.add_summary_keyboard()],
    "forms.duplicate_warning": lambda: [forms.duplicate_warning([Duplicate(contact(), "email")])],
    "forms.add_fields_keyboard": lambda: [forms.add_fields_keyboard(ADD_STEPS)],
    "forms.edit_fields_keyboard": lambda: [forms.edit_fields_keyboard(7)],
    "forms.note_kinds_keyboard": lambda: [forms.note_kinds_keyboard(7)],
    "forms.note_cancel_keyboard": lambda: [forms.note_cancel_keyboard(7)],
    "forms.lost_reason_keyboard": lambda: [forms.lost_reason_keyboard(7)],
    "forwarded.forward_offer": lambda: [forwarded.forward_offer("Olive", 5)],
    "jobs.job_list": lambda: [jobs.job_list(contact(), [job()]), jobs.job_list(contact(), [])],
    "jobs.job_view": lambda: [jobs.job_view(contact(), job())],
    "jobs.create_job_offer": lambda: [jobs.create_job_offer(contact(), {"title": "Eviction"})],
    "jobs.mark_job_offer": lambda: [jobs.mark_job_offer(contact(), job(), JobStatus.PAID)],
    "jobs.move_to_paid_offer": lambda: [jobs.move_to_paid_offer(contact())],
    "jobs.form_markup": lambda: [jobs.form_markup(7, dates=True)],
    "lists.main_menu": lambda: [lists.main_menu()],
    "lists.list_keyboard": lambda: [
        lists.list_keyboard(_page(), ContactFilter(view=v)) for v in View
    ],
    "lists.search_results": lambda: [lists.search_results("ol", [contact()], more=True)],
    "lists.render_today": lambda: [
        lists.render_today([DueItem(contact(next_followup_date=TODAY), 1)], TODAY)
    ],
    "lists.render_trash": lambda: [
        lists.render_trash(_page(deleted=True), "", _tz(), NOW),
        lists.render_trash(_page(page=1, deleted=True), "ol", _tz(), NOW),
    ],
    "lists.purge_prompt": lambda: [lists.purge_prompt(contact(deleted_at=NOW))],
    "referrals.partner_picker": lambda: [
        referrals.partner_picker(a, 7, [contact(id=9)]) for a in (ADD, EDIT_ANSWER)
    ],
    "report.report_keyboard": lambda: [report.report_keyboard("e", "30d")],
    "settings.render_settings": lambda: [settings.render_settings(_prefs(), NOW)],
    "settings.time_menu": lambda: [settings.time_menu(time(8, 0))],
    "settings.timezone_menu": lambda: [settings.timezone_menu("Europe/London")],
    "settings.days_menu": lambda: [settings.days_menu(127)],
}

#: Keyboard helpers that draw no button of their own: they wrap the buttons they are given.
COMBINATORS = frozenset(
    {"common.button", "common.keyboard", "common.chunks", "digest.replace_item_rows"}
    | {"forms.answer_button"}
)


def _prefs() -> DigestPreferences:
    return DigestPreferences("Europe/London", time(8, 0), 127, True, False, False)


def keyboard_views() -> dict[str, Callable[..., Any]]:
    """Every function of ``bot.views`` whose return type holds a keyboard or buttons."""
    found = {}
    for info in pkgutil.iter_modules(bot.views.__path__):
        module = importlib.import_module(f"bot.views.{info.name}")
        for name, fn in vars(module).items():
            if not inspect.isfunction(fn) or fn.__module__ != module.__name__:
                continue
            try:
                returns = repr(typing.get_type_hints(fn).get("return"))
            except NameError:  # an annotation only imported for type checking
                returns = str(inspect.signature(fn).return_annotation)
            if "InlineKeyboardMarkup" in returns or "InlineKeyboardButton" in returns:
                found[f"{info.name}.{name}"] = fn
    return found


def buttons_in(value: object) -> Iterator[InlineKeyboardButton]:
    if isinstance(value, InlineKeyboardButton):
        yield value
    elif isinstance(value, InlineKeyboardMarkup):
        for row in value.inline_keyboard:
            yield from row
    elif isinstance(value, list | tuple):
        for part in value:
            yield from buttons_in(part)


def drawn() -> dict[str, str]:
    """Every button's data the sample calls draw, with the view that drew it."""
    data = {}
    for view, calls in SAMPLES.items():
        for btn in buttons_in(list(calls())):
            if btn.callback_data is not None:
                data[str(btn.callback_data)] = view
    return data


@pytest.fixture(scope="module")
def button_patterns(tmp_path_factory: pytest.TempPathFactory) -> list[re.Pattern[str]]:
    """The patterns of the real Application's button handlers (not the catch-alls: a form's
    way out, which takes any other button, and the answer to buttons nobody claims)."""
    app = wired_application(tmp_path_factory.mktemp("files"))
    return [
        handler.pattern
        for group in app.handlers.values()
        for handler in every_handler(group)
        if isinstance(handler, CallbackQueryHandler) and isinstance(handler.pattern, re.Pattern)
    ]


def test_every_keyboard_view_has_samples() -> None:
    views = set(keyboard_views())
    assert views - set(SAMPLES) - COMBINATORS == set(), "add the new views to SAMPLES"
    assert set(SAMPLES) - views == set(), "a sampled view no longer draws a keyboard"


def test_every_button_drawn_decodes_and_is_claimed(button_patterns: list[re.Pattern[str]]):
    unclaimed = []
    for data, view in drawn().items():
        assert len(data.encode()) <= MAX_BYTES
        cb = Cb.decode(data)
        REGISTRY[cb.action].parse(cb.arg)
        if not any(p.match(data) for p in button_patterns):
            unclaimed.append((view, data))
    assert unclaimed == []


def test_no_orphans(button_patterns: list[re.Pattern[str]]) -> None:
    """Every registered action is drawn by some view, and every button handler claims some
    button drawn: an action nobody draws or a handler nothing reaches is dead code."""
    data = drawn()
    assert set(REGISTRY) - {Cb.decode(d).action for d in data} == set()
    assert [p.pattern for p in button_patterns if not any(p.match(d) for d in data)] == []


# --- the codec ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        "nosuch:1:",  # an action nobody registered
        "open:7:x",  # open's argument is nothing or "e"
        "notes:7:",  # an offset is a number
        "notes:7:²",
        "notes:7:2147483648",
        "jobst:7:sold",  # not a job status
        "fget:7:-1",
        "atc:0:tok",  # <token>:<contact id>
        "atc:0:tok:x",
        "atk:0:tok:recipe",  # not a file category
        "setv:0:t:2561",  # no time of day
        "setv:0:q:1",
        "menu:0:shop",
        "ef:7:password",  # not an editable field
        "add:0:d:someday",  # not a quick date
        "add:0:f:nope",  # not a field of the form
        "add:0:rp:x",
        "add:0:hello",
        "nt:7:v:diary",  # not a kind of note
        "dgsnz:7:soon",
        "mport:0:",
    ],
)
def test_a_payload_that_does_not_fit_is_stale(data: str) -> None:
    with pytest.raises(StaleButton):
        Cb.decode(data)
    with pytest.raises(ValueError):  # and no view can draw one
        Cb(*_split(data)).encode()


def _split(data: str) -> tuple[str, int, str]:
    action, _, rest = data.partition(":")
    ident, _, arg = rest.partition(":")
    return action, int(ident), arg


def test_typed_arguments() -> None:
    assert actions.OPEN.arg(Cb.decode("open:7:e")) is True
    assert actions.NOTES.arg(Cb.decode("notes:7:15")) == 15
    assert actions.JOB_STATUS.arg(Cb.decode("jobst:3:paid")) is JobStatus.PAID
    assert actions.ATTACH_CONTACT.arg(Cb.decode("atc:0:tok:12")) == ("tok", 12)
    assert actions.ATTACH_SET.arg(Cb.decode("atset:7:tok:")) == ("tok", None)
    assert actions.FILES.arg(Cb.decode("files:7:")) is None
    assert actions.FILES.arg(Cb.decode("files:7:p3")) == 3
    assert actions.LIST_PAGE.arg(Cb.decode("lp:2:b17")) == arguments.ListEdge(True, 17)
    assert actions.LIST_PAGE.arg(Cb.decode("lp:2:x")) is None  # the page by its number
    with pytest.raises(StaleButton):  # a button of another action
        actions.OPEN.arg(Cb.decode("notes:7:1"))


@pytest.mark.parametrize(
    "answer",
    [
        Skip(),
        Cancel(),
        *(QuickDate(q) for q in QUICK_DATES),
        Value("eviction_client"),
        Value("a:b"),
        Partner(12),
        FieldPick("name"),
        *(arguments.Word(w) for w in arguments.WORDS),
    ],
)
def test_every_answer_reads_back(answer: Answer) -> None:
    assert parse_answer(encode_answer(answer)) == answer


def test_the_registry_refuses_a_code_twice() -> None:
    with pytest.raises(ValueError, match="twice"):
        actions.Action("open", "again", arguments.no_arg)


def test_every_action_says_what_it_does() -> None:
    for code, action in REGISTRY.items():
        assert action.doc, code
        assert "\n" not in action.doc, code
