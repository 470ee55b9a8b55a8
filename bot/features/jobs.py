"""A contact's jobs from its card: the list, one job's status buttons, and the offers that
keep the eviction pipeline and jobs in step (each can be declined; nothing is forced).

The Add job form is ``bot.conversations.add_job``; the stage move that offers "Create job"
or "Mark job paid" is the card's (``bot.features.cards.stage_chosen`` calls
``after_stage_move``); a prevention prospect moved to Won is offered "Create job" as well.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.actions import JOB, JOB_STATUS, JOBS, OFFER_NO
from bot.callbacks import Cb, pattern
from bot.handling import Ctx, Toast, on_button, reply
from bot.views.common import money
from bot.views.jobs import (
    create_job_offer,
    job_list,
    job_view,
    mark_job_offer,
    move_to_paid_offer,
)
from crm_core.models import Contact, Job
from crm_core.services import jobs as svc
from crm_core.services.contacts import get_contact
from crm_core.stages import ContactType, JobStatus

#: Stage moves of an eviction client that offer to mark its open job the same.
STAGE_TO_JOB_STATUS: dict[str, JobStatus] = {
    "invoiced": JobStatus.INVOICED,
    "paid": JobStatus.PAID,
}
#: The stage at which each pipeline's contact has work to book: it offers "Create job".
BOOKING_STAGES: dict[ContactType, str] = {
    ContactType.EVICTION_CLIENT: "job_booked",
    ContactType.PREVENTION_PROSPECT: "won",
}


@dataclass(frozen=True, slots=True)
class StatusChange:
    contact: Contact
    job: Job
    #: The contact's revenue after the change.
    revenue: str
    #: Whether to offer moving the client to Paid (its last open job was just paid).
    offer_paid: bool


@on_button
async def jobs_button(update: Update, context: Ctx, cb: Cb) -> None:
    """List the contact's jobs (an empty list says so) with "Add job"."""

    def work(session: Session) -> tuple[str, InlineKeyboardMarkup]:
        return job_list(get_contact(session, cb.id), svc.list_jobs(session, cb.id))

    text, markup = await context.run_db(work)
    await reply(update, text, markup, edit=JOBS.arg(cb))


@on_button
async def job_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Show one job with its status buttons, in place of the list."""

    def work(session: Session) -> tuple[str, InlineKeyboardMarkup]:
        job = svc.get_job(session, cb.id)
        return job_view(get_contact(session, job.contact_id), job)

    text, markup = await context.run_db(work)
    await reply(update, text, markup, edit=True)


def _set_status(session: Session, job_id: int, status: JobStatus) -> StatusChange:
    job = svc.set_job_status(session, job_id, status)
    contact = get_contact(session, job.contact_id)
    offer_paid = (
        job.status == JobStatus.PAID.value
        and contact.type is ContactType.EVICTION_CLIENT
        and contact.current_stage != "paid"
        and svc.open_job(session, contact.id) is None
    )
    session.refresh(contact)
    return StatusChange(contact, job, money(contact.total_revenue), offer_paid)


@on_button
async def status_chosen(update: Update, context: Ctx, cb: Cb) -> Toast:
    """Set the job's status, redraw it, and offer Paid when the last open job was paid.

    The client is offered a move to Paid only when its last open job was just paid."""
    change = await context.run_db(_set_status, cb.id, JOB_STATUS.arg(cb))
    await reply(update, *job_view(change.contact, change.job), edit=True)
    if change.offer_paid:
        await reply(update, *move_to_paid_offer(change.contact))
    label = JobStatus(change.job.status).label.lower()
    return Toast(f"Job {label}. Revenue: {change.revenue}")


@on_button
async def decline_button(update: Update, context: Ctx, cb: Cb) -> None:
    """Decline an offer: say so in its place; nothing changes."""
    await reply(update, "OK, nothing changed.", edit=True)


async def after_stage_move(update: Update, context: Ctx, contact_id: int, stage: str) -> None:
    """Offer what keeps a contact's jobs in step with the stage it was moved to: "Create job"
    when an eviction client reaches Job Booked or a prevention prospect Won, "Mark job
    invoiced/paid" when an eviction client reaches Invoiced or Paid."""
    if stage not in BOOKING_STAGES.values() and stage not in STAGE_TO_JOB_STATUS:
        return

    def work(session: Session) -> tuple[str, InlineKeyboardMarkup] | None:
        contact = get_contact(session, contact_id)
        if contact.current_stage != stage:
            return None
        if BOOKING_STAGES.get(contact.type) == stage:
            return create_job_offer(contact, svc.job_draft(contact))
        if contact.type is not ContactType.EVICTION_CLIENT:
            return None
        job = svc.open_job(session, contact_id)
        if job is None or job.status == STAGE_TO_JOB_STATUS[stage].value:
            return None
        return mark_job_offer(contact, job, STAGE_TO_JOB_STATUS[stage])

    offer = await context.run_db(work)
    if offer is not None:
        await reply(update, *offer)


def handlers() -> list[BaseHandler[Update, Ctx, object]]:
    return [
        CallbackQueryHandler(jobs_button, pattern=pattern(JOBS)),
        CallbackQueryHandler(job_button, pattern=pattern(JOB)),
        CallbackQueryHandler(status_chosen, pattern=pattern(JOB_STATUS)),
        CallbackQueryHandler(decline_button, pattern=pattern(OFFER_NO)),
    ]
