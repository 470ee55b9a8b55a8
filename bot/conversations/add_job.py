"""The job list's "Add job" (and "Create job", offered after a move to Job Booked): a title
(optional), the value (required: 1500, £1,500.50, 1.5k) and a date (optional), then the job
is booked and the card shows it. A bad value or date gets the reason and the same question.

"Create job" books the job in one tap when the contact's potential value is known (the title
from its service and address); without it, the form opens at the value with the title kept.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.actions import JOB_ADD, JOB_FORM, JOB_OFFER
from bot.arguments import Cancel, QuickDate, Skip
from bot.callbacks import Cb, StaleButton, pattern
from bot.features.cards import show_card
from bot.handling import LEFT, Ctx, Toast, button_step, form_exits, reply, start_form, step
from bot.views.common import esc
from bot.views.jobs import booked_text, form_markup
from crm_core.errors import ValidationError
from crm_core.models import Contact, Job
from crm_core.services import jobs as svc
from crm_core.services.contacts import get_contact
from crm_core.validation import clean_money, clean_text, parse_date

KEY = "job"


class State(IntEnum):
    TITLE = 1
    VALUE = 2
    DATE = 3


QUESTIONS = {
    State.TITLE: "New job for <b>{name}</b>: its <b>title</b>? (e.g. Eviction, 12 High St)",
    State.VALUE: "The job's <b>value</b> in £? (e.g. 1500, £1,500.50 or 1.5k)",
    State.DATE: "<b>When</b> is it? Tap one, or type a date: 2026-12-01, 1/12, friday.",
}


async def _ask(update: Update, context: Ctx, state: State, problem: str = "") -> int:
    draft = context.user_state[KEY]
    draft["state"] = int(state)
    text = QUESTIONS[state].format(name=esc(draft["name"]))
    if problem:
        text = f"⚠️ {esc(problem)}\n\n{text}"
    markup = form_markup(
        draft["contact_id"], skip=state is not State.VALUE, dates=state is State.DATE
    )
    await reply(update, text, markup)
    return state


@button_step
async def add_job_button(update: Update, context: Ctx, cb: Cb) -> int:
    """Ask for the new job's title."""
    contact = await context.run_db(get_contact, cb.id)
    start_form(context, KEY, {"contact_id": contact.id, "name": contact.name})
    return await _ask(update, context, State.TITLE)


@button_step
async def create_job_button(update: Update, context: Ctx, cb: Cb) -> int:
    """Book the prefilled job ("Create job"), or ask its value when the contact has none."""
    contact = await context.run_db(get_contact, cb.id)
    draft = {"contact_id": contact.id, "name": contact.name, **svc.job_draft(contact)}
    if "value" in draft:
        await reply(update, f"Booking {esc(draft['title'] or 'the job')}…", edit=True)
        return await _book(update, context, draft)
    start_form(context, KEY, draft)
    await reply(update, f"Creating a job for <b>{esc(contact.name)}</b>.", edit=True)
    return await _ask(update, context, State.VALUE)


async def _book(update: Update, context: Ctx, draft: dict[str, Any]) -> int:
    user_id, today = context.admin, context.today
    data = {k: draft.get(k) for k in svc.JOB_FIELDS}

    def work(session: Any) -> tuple[Contact, Job]:
        job = svc.add_job(session, draft["contact_id"], data, by_user_id=user_id, today=today)
        return get_contact(session, job.contact_id), job

    try:
        contact, job = await context.run_db(work)
    except ValidationError as err:  # checked step by step already: only a changed rule
        context.user_state.pop(KEY, None)
        await reply(update, f"⚠️ {esc(err.message)} Nothing was saved.")
        return ConversationHandler.END
    context.user_state.pop(KEY, None)
    await reply(update, booked_text(contact, job))
    await show_card(update, context, contact.id)
    return ConversationHandler.END


async def _answer(update: Update, context: Ctx, raw: str | None) -> int:
    """Keep the answer to the current question (``None``: skipped) and ask the next."""
    draft = context.user_state[KEY]
    state = State(draft.get("state", State.TITLE))
    try:
        if state is State.TITLE:
            draft["title"] = clean_text("job_title", raw)
        elif state is State.VALUE:
            value = clean_money("value", raw)
            if value is None:
                raise ValidationError("value", "A job needs its value in pounds, e.g. 1500.")
            draft["value"] = str(value)
        else:
            day = parse_date(raw, context.today)
            draft["scheduled_date"] = day.isoformat() if day else None
    except ValidationError as err:
        return await _ask(update, context, state, err.message)
    if state is State.DATE:
        return await _book(update, context, draft)
    return await _ask(update, context, State.VALUE if state is State.TITLE else State.DATE)


@step
async def answer_typed(update: Update, context: Ctx) -> int:
    """Take the typed answer to the question asked."""
    assert update.effective_message is not None
    if KEY not in context.user_state:
        return LEFT
    return await _answer(update, context, update.effective_message.text)


@button_step
async def question_button(update: Update, context: Ctx, cb: Cb) -> int | Toast:
    """Take a button under the question: a quick date, Skip or Cancel."""
    draft = context.user_state.get(KEY)
    answer = JOB_FORM.arg(cb)
    if isinstance(answer, Cancel):
        context.user_state.pop(KEY, None)
        await reply(update, texts.CANCELLED, edit=True)
        return ConversationHandler.END
    if draft is None or draft.get("contact_id") != cb.id:
        return Toast(texts.FORM_CLOSED)
    if isinstance(answer, Skip):
        return await _answer(update, context, None)
    if isinstance(answer, QuickDate):
        return await _answer(update, context, answer.on(context.today).isoformat())
    raise StaleButton(cb.arg)  # no other answer is asked here


def conversation() -> ConversationHandler[Ctx]:
    in_form: list[BaseHandler[Update, Ctx, object]] = [
        CallbackQueryHandler(question_button, pattern=pattern(JOB_FORM)),
        MessageHandler(filters.TEXT & ~filters.COMMAND, answer_typed),
    ]
    return ConversationHandler(
        name="add_job",
        persistent=True,
        allow_reentry=True,
        entry_points=[
            CallbackQueryHandler(add_job_button, pattern=pattern(JOB_ADD)),
            CallbackQueryHandler(create_job_button, pattern=pattern(JOB_OFFER)),
        ],
        states={State.TITLE: in_form, State.VALUE: in_form, State.DATE: in_form},
        fallbacks=form_exits(KEY),
    )
