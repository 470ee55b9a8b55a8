"""Jobs: the card's figures, the job list, one job with its status buttons, and the offers
that keep the eviction pipeline and jobs in step."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.actions import (
    JOB,
    JOB_ADD,
    JOB_FORM,
    JOB_OFFER,
    JOB_STATUS,
    JOBS,
    OFFER_NO,
    OPEN,
    STAGE_SET,
)
from bot.arguments import Cancel, QuickDate, Skip
from bot.callbacks import Cb
from bot.views.common import button, chunks, esc, keyboard, money
from bot.views.forms import answer_button
from crm_core.models import Contact, Job
from crm_core.schedule import quick_dates
from crm_core.services.revenue import JobSummary
from crm_core.stages import JobStatus, stage_name

#: The status buttons of a job, in the order of its life ("Cancel job" last).
STATUS_BUTTONS: tuple[tuple[JobStatus, str], ...] = (
    (JobStatus.BOOKED, "Booked"),
    (JobStatus.IN_PROGRESS, "In progress"),
    (JobStatus.COMPLETED, "Completed"),
    (JobStatus.INVOICED, "Invoiced"),
    (JobStatus.PAID, "Paid"),
    (JobStatus.CANCELLED, "Cancel job"),
)
#: Quick dates of the Add job form: today and tomorrow (the follow-up form's first two).
JOB_DATES = quick_dates("today", "tomorrow")


def card_lines(summary: JobSummary | None) -> list[str]:
    """The card's jobs block: "Revenue: £1,500" and "Jobs: 2 (£300 unpaid)", once jobs exist."""
    if summary is None or not (summary.count or summary.revenue):
        return []
    return [
        f"Revenue: {money(summary.revenue)}",
        f"Jobs: {summary.count} ({money(summary.unpaid)} unpaid)",
    ]


def job_line(job: Job) -> str:
    """One job in a sentence: title · value · status · date."""
    parts = [job.title or "Job", money(job.value), JobStatus(job.status).label]
    if job.scheduled_date:
        parts.append(job.scheduled_date.strftime("%d %b %Y"))
    return " · ".join(parts)


def job_list(contact: Contact, jobs: list[Job]) -> tuple[str, InlineKeyboardMarkup]:
    head = f"<b>Jobs for {esc(contact.name)}</b>"
    add = button("➕ Add job", Cb(JOB_ADD, contact.id))
    back = button("« Card", Cb(OPEN, contact.id))
    if not jobs:
        return f"{head}\nNo jobs yet.", keyboard([[add, back]])
    lines = [head, *(f"{i}. {esc(job_line(j))}" for i, j in enumerate(jobs, 1))]
    rows = [[button(f"{i}. {job_line(j)}", Cb(JOB, j.id))] for i, j in enumerate(jobs[:20], 1)]
    return "\n".join(lines), keyboard([*rows, [add, back]])


def job_view(contact: Contact, job: Job) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        f"<b>{esc(job.title or 'Job')}</b> for {esc(contact.name)}",
        f"Value: {money(job.value)}",
        f"Status: <b>{JobStatus(job.status).label}</b>",
    ]
    if job.scheduled_date:
        lines.append(f"Date: {job.scheduled_date:%a %d %b %Y}")
    buttons = [
        button(
            ("✅ " if status.value == job.status else "") + label,
            Cb(JOB_STATUS, job.id, status.value),
        )
        for status, label in STATUS_BUTTONS
    ]
    back = button("« Jobs", Cb(JOBS, contact.id, "e"))
    return "\n".join(lines), keyboard([*chunks(buttons, 3), [back]])


def create_job_offer(contact: Contact, draft: dict[str, str]) -> tuple[str, InlineKeyboardMarkup]:
    """After a move to Job Booked (or a prospect's to Won): one tap books the job prefilled
    from the contact."""
    what = esc(draft.get("title") or "a job")
    value = f" for {money(contact.potential_value)}" if "value" in draft else ""
    stage = esc(stage_name(contact.type, contact.current_stage))
    text = f"📌 {esc(contact.name)} is at {stage}. Create {what}{value}?"
    if "value" not in draft:
        text += "\n(You'll be asked its value.)"
    return text, keyboard(
        [
            [
                button("Create job", Cb(JOB_OFFER, contact.id)),
                button("Not now", Cb(OFFER_NO, contact.id)),
            ]
        ]
    )


def mark_job_offer(
    contact: Contact, job: Job, status: JobStatus
) -> tuple[str, InlineKeyboardMarkup]:
    """After a move to Invoiced or Paid: mark the open job the same."""
    text = f"📌 Mark {esc(contact.name)}'s job {esc(job_line(job))} as {status.label.lower()} too?"
    return text, keyboard(
        [
            [
                button(f"Mark job {status.label.lower()}", Cb(JOB_STATUS, job.id, status.value)),
                button("Not now", Cb(OFFER_NO, contact.id)),
            ]
        ]
    )


def move_to_paid_offer(contact: Contact) -> tuple[str, InlineKeyboardMarkup]:
    """After the last open job is paid: move the client to Paid."""
    text = f"📌 That was {esc(contact.name)}'s last open job. Move them to Paid?"
    return text, keyboard(
        [
            [
                button("Move to Paid", Cb(STAGE_SET, contact.id, "paid")),
                button("Not now", Cb(OFFER_NO, contact.id)),
            ]
        ]
    )


def form_markup(
    contact_id: int, *, skip: bool = True, dates: bool = False
) -> InlineKeyboardMarkup:
    """The Add job form's buttons: quick dates, Skip (when optional), Cancel."""
    rows = []
    if dates:
        rows.append(
            [answer_button(q.label, JOB_FORM, contact_id, QuickDate(q)) for q in JOB_DATES]
        )
    tail = [answer_button("Skip", JOB_FORM, contact_id, Skip())] if skip else []
    tail.append(answer_button("Cancel", JOB_FORM, contact_id, Cancel()))
    return keyboard([*rows, tail])


def booked_text(contact: Contact, job: Job) -> str:
    return f"✅ Job booked for {esc(contact.name)}: {esc(job_line(job))}"
