"""Daily digests and timed reminders: the schedule check, sending, /digest and the item buttons.

What is due and who sends it is decided in ``crm_core.services.digests`` and ``.reminders``
(a ledger claimed before sending); this module only triggers it. One JobQueue job, ``check``,
runs every ``Settings.digest_check_seconds`` (30 s) and once a second after start, which is the
catch-up: it asks for the digests and reminders due *now* given each admin's timezone, time and
days, so DST, restarts, a second process and changed settings need no special case. JobQueue
jobs are not persisted, and need not be: the database is the schedule.

Item buttons (Done, snooze) carry the contact id, so they keep working on later days.
"""

from __future__ import annotations

import asyncio
import logging
import time as monotonic_time
from datetime import timedelta
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
)

from bot.actions import BACK, DONE, NEXT, OUTCOME, SNOOZE
from bot.callbacks import Cb, StaleButton, pattern
from bot.handling import Ctx, Toast, on_button, reply
from bot.runtime import BOT_DATA_KEY, Crm
from bot.sending import deliver
from bot.views.common import esc, keyboard
from bot.views.digest import (
    NEXT_BY_KEY,
    NO_NEXT,
    OUTCOMES_BY_KEY,
    action_row,
    digest_messages,
    done_label,
    next_rows,
    outcome_rows,
    reminder_message,
    replace_item_rows,
    snoozed_answer,
    snoozed_label,
    status_rows,
)
from crm_core.schedule import DeliveryStatus
from crm_core.services.contacts import get_contact
from crm_core.services.digests import (
    DigestJob,
    build_digest,
    claim_due_digests,
    digest_part_sent,
    finish_digest,
)
from crm_core.services.followups import log_outcome, set_followup, snooze_followup
from crm_core.services.ledger import SEND_DEADLINE
from crm_core.services.reminders import ReminderJob, claim_due_reminders, finish_reminder

log = logging.getLogger(__name__)
JOB_NAME = "digests"
STATE_KEY = "digests"
FIRST_CHECK = 1.0


class Checker:
    """Keeps checks from overlapping: a check still sending (a 429 back-off) makes the next
    tick return at once instead of piling up (APScheduler would log each skipped run)."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()


def schedule(application: Application) -> None:
    """Start the repeating check (from ``post_init``); no-op when turned off (0 seconds)."""
    services: Crm = application.bot_data[BOT_DATA_KEY]
    interval = services.settings.digest_check_seconds
    application.bot_data[STATE_KEY] = Checker()
    if interval <= 0 or application.job_queue is None:
        log.info("Digest and reminder checks are off")
        return
    application.job_queue.run_repeating(
        check,
        interval=interval,
        first=min(FIRST_CHECK, interval),
        name=JOB_NAME,
        # A late tick still runs (the default grace of 1 s would drop it); missed ones merge.
        job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 2},
    )


async def check(context: Ctx) -> None:
    """Send what is due now: today's digests, then timed reminders."""
    checker: Checker = context.application.bot_data.setdefault(STATE_KEY, Checker())
    if checker.lock.locked():
        log.debug("Previous digest check still running; skipping this tick")
        return
    async with checker.lock:
        await send_due_digests(context)
        await send_due_reminders(context)


async def check_now(application: Application) -> None:
    """Run one check outside the JobQueue (tests, a manual trigger)."""
    await check(Ctx(application))


async def send_due_digests(context: Ctx) -> list[DeliveryStatus]:
    services = context.crm
    jobs = await context.run_db(
        claim_due_digests,
        services.clock(),
        default_tz=services.settings.timezone,
        default_time=services.settings.digest_time,
    )
    results = await asyncio.gather(
        *(send_digest(context, job) for job in jobs), return_exceptions=True
    )
    statuses: list[DeliveryStatus] = []
    for job, result in zip(jobs, results, strict=True):
        if isinstance(result, BaseException):
            # Left "sending": another check takes it over after the lease.
            log.error("Digest for admin %s crashed", job.user_id, exc_info=result)
        else:
            statuses.append(result)
    return statuses


async def send_digest(context: Ctx, job: DigestJob) -> DeliveryStatus:
    """Send one claimed digest (from the part a previous claim reached) and record it."""
    # Pure but not free (PTB builds each button object): off the event loop, like DB work.
    messages = await asyncio.to_thread(
        digest_messages, job.digest, late_due=job.due_at if job.late else None
    )

    async def progress(parts: int) -> None:
        await context.run_db(digest_part_sent, job.delivery_id, parts)

    result = await deliver(
        context.bot,
        job.telegram_user_id,
        messages,
        start=job.start_part,
        deadline=monotonic_time.monotonic() + SEND_DEADLINE.total_seconds(),
        on_sent=progress,
    )
    await context.run_db(
        finish_digest,
        job.delivery_id,
        result.status,
        now=context.crm.clock(),
        error=result.error,
        items=len(job.digest.items),
    )
    level = logging.INFO if result.status is DeliveryStatus.SENT else logging.WARNING
    log.log(
        level,
        "Digest for admin %s (%s): %s, %d of %d messages%s%s",
        job.user_id,
        job.digest.local_date,
        result.status.value,
        result.parts_sent,
        len(messages),
        " (late)" if job.late else "",
        f": {result.error}" if result.error else "",
    )
    return result.status


async def send_due_reminders(context: Ctx) -> list[DeliveryStatus]:
    services = context.crm
    jobs = await context.run_db(
        claim_due_reminders, services.clock(), default_tz=services.settings.timezone
    )
    statuses = []
    for job in jobs:
        try:
            statuses.append(await send_reminder(context, job))
        except Exception:
            log.exception("Reminder %s crashed", job.delivery_id)
    return statuses


async def send_reminder(context: Ctx, job: ReminderJob) -> DeliveryStatus:
    message = reminder_message(job.item, job.due_at, ZoneInfo(job.timezone), late=job.late)
    result = await deliver(
        context.bot,
        job.telegram_user_id,
        [message],
        deadline=monotonic_time.monotonic() + SEND_DEADLINE.total_seconds(),
    )
    await context.run_db(
        finish_reminder,
        job.delivery_id,
        result.status,
        now=context.crm.clock(),
        error=result.error,
    )
    log.info(
        "Reminder for contact %s to admin %s: %s",
        job.item.contact_id,
        job.user_id,
        result.status.value,
    )
    return result.status


# --------------------------------------------------------------------------- /digest


async def digest_command(update: Update, context: Ctx) -> None:
    """Send today's digest now, whatever the time, leaving the ledger alone (/digest)."""
    user_id, today = context.admin, context.today
    digest = await context.run_db(build_digest, user_id, today)
    for text, markup in digest_messages(digest):
        await reply(update, text, markup)


# --------------------------------------------------------------------------- item buttons


async def _redraw(
    update: Update,
    contact_id: int,
    rows: list[list[InlineKeyboardButton]],
    fallback_text: str,
) -> None:
    """Swap the item's action rows on the message the button sits on; if the message has
    none (an old layout), send the rows as a new message instead."""
    query = update.callback_query
    if query is None:
        return
    markup = replace_item_rows(getattr(query.message, "reply_markup", None), contact_id, rows)
    if markup is not None:
        await query.edit_message_reply_markup(markup)
    else:
        await reply(update, fallback_text, keyboard(rows))


@on_button
async def done_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Show the outcome buttons in place of the item's actions."""
    contact = await context.run_db(get_contact, cb.id)
    await _redraw(
        update, cb.id, outcome_rows(cb.id), f"<b>{esc(contact.name)}</b> — how did it go?"
    )


@on_button
async def back_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Show the item's actions again in place of the outcome buttons."""
    await context.run_db(get_contact, cb.id)
    await _redraw(update, cb.id, [action_row(cb.id)], "Follow-up:")


@on_button
async def outcome_chosen(update: Update, context: Ctx, cb: Cb) -> Toast | None:
    """Write the note of the outcome tapped, then ask for the next follow-up."""
    found = OUTCOMES_BY_KEY.get(OUTCOME.arg(cb))
    if found is None:  # an outcome this version doesn't offer
        raise StaleButton(cb.arg)
    contact = await context.run_db(
        log_outcome,
        cb.id,
        context.admin,
        found.note_type,
        found.note,
        now=context.crm.clock(),
    )
    await _redraw(
        update, cb.id, next_rows(cb.id, found.key), f"<b>{esc(contact.name)}</b> — next follow-up?"
    )
    return Toast(f"📝 Note added: {found.note}") if found.note else None


@on_button
async def next_chosen(update: Update, context: Ctx, cb: Cb) -> Toast:
    """Set the next follow-up tapped and close the item."""
    today = context.today
    choice, outcome_key = NEXT.arg(cb)
    if choice != NO_NEXT and choice not in NEXT_BY_KEY:  # a choice this version doesn't offer
        raise StaleButton(cb.arg)
    when = today + timedelta(days=NEXT_BY_KEY[choice].days) if choice != NO_NEXT else None
    contact = await context.run_db(set_followup, cb.id, when, today=today, now=context.crm.clock())
    label = done_label(outcome_key, contact.next_followup_date)
    await _redraw(update, cb.id, status_rows(cb.id, label), f"<b>{esc(contact.name)}</b>")
    if contact.next_followup_date is None:
        return Toast("Done. No follow-up set.")
    return Toast(f"Done. Next follow-up {contact.next_followup_date:%a %d %b %Y}.")


@on_button
async def snooze_button(update: Update, context: Ctx, cb: Cb) -> Toast:
    """Move the follow-up the days tapped from today and close the item."""
    today = context.today
    contact = await context.run_db(
        snooze_followup, cb.id, SNOOZE.arg(cb), today=today, now=context.crm.clock()
    )
    new_date, at = contact.next_followup_date or today, contact.next_followup_time
    await _redraw(
        update,
        cb.id,
        status_rows(cb.id, snoozed_label(new_date, at)),
        f"<b>{esc(contact.name)}</b>",
    )
    return Toast(snoozed_answer(new_date, at))


def handlers() -> list[BaseHandler[Update, Ctx, object]]:
    return [
        CommandHandler("digest", digest_command),
        CallbackQueryHandler(done_button, pattern=pattern(DONE)),
        CallbackQueryHandler(back_button, pattern=pattern(BACK)),
        CallbackQueryHandler(outcome_chosen, pattern=pattern(OUTCOME)),
        CallbackQueryHandler(next_chosen, pattern=pattern(NEXT)),
        CallbackQueryHandler(snooze_button, pattern=pattern(SNOOZE)),
    ]
