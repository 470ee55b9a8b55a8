"""The sales pipelines: data, not code."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ContactType(StrEnum):
    EVICTION_CLIENT = "eviction_client"
    PREVENTION_PROSPECT = "prevention_prospect"
    REFERRAL_PARTNER = "referral_partner"

    @property
    def label(self) -> str:
        return CONTACT_TYPE_LABELS[self]


class Status(StrEnum):
    ACTIVE = "active"
    WON = "won"
    LOST = "lost"
    DORMANT = "dormant"


class Urgency(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class NoteType(StrEnum):
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    INTERNAL = "internal"
    QUOTE_SENT = "quote_sent"


class FileCategory(StrEnum):
    QUOTE = "quote"
    CONTRACT = "contract"
    PHOTO = "photo"
    DOCUMENT = "document"


CONTACT_TYPE_LABELS: dict[ContactType, str] = {
    ContactType.EVICTION_CLIENT: "Eviction client",
    ContactType.PREVENTION_PROSPECT: "Prevention prospect",
    ContactType.REFERRAL_PARTNER: "Referral partner",
}

NOTE_TYPE_LABELS: dict[NoteType, str] = {
    NoteType.CALL: "Call",
    NoteType.EMAIL: "Email",
    NoteType.MEETING: "Meeting",
    NoteType.INTERNAL: "Internal",
    NoteType.QUOTE_SENT: "Quote sent",
}


@dataclass(frozen=True, slots=True)
class Stage:
    key: str
    name: str
    status: Status = Status.ACTIVE


PIPELINES: dict[ContactType, tuple[Stage, ...]] = {
    ContactType.EVICTION_CLIENT: (
        Stage("new_inquiry", "New Inquiry"),
        Stage("client_pack_sent", "Client Pack Sent"),
        Stage("awaiting_instruction", "Awaiting Instruction"),
        Stage("job_booked", "Job Booked"),
        Stage("job_in_progress", "Job In Progress"),
        Stage("invoiced", "Invoiced"),
        Stage("paid", "Paid", Status.WON),
    ),
    ContactType.PREVENTION_PROSPECT: (
        Stage("prospect", "Prospect"),
        Stage("first_contact_made", "First Contact Made"),
        Stage("in_discussion", "In Discussion"),
        Stage("quote_sent", "Quote Sent"),
        Stage("thinking_about_it", "Thinking About It"),
        Stage("won", "Won", Status.WON),
        Stage("lost", "Lost", Status.LOST),
    ),
    ContactType.REFERRAL_PARTNER: (
        Stage("active_partner", "Active Partner"),
        Stage("inactive", "Inactive", Status.DORMANT),
    ),
}

#: Prevention stages at which a quote is out and waiting for an answer.
QUOTE_PENDING_STAGES: tuple[str, ...] = ("quote_sent", "thinking_about_it")

_BY_KEY: dict[tuple[ContactType, str], Stage] = {
    (ctype, stage.key): stage for ctype, stages in PIPELINES.items() for stage in stages
}


def first_stage(contact_type: ContactType) -> Stage:
    return PIPELINES[contact_type][0]


def get_stage(contact_type: ContactType, key: str) -> Stage | None:
    return _BY_KEY.get((contact_type, key))


def find_stage(contact_type: ContactType, key_or_name: str) -> Stage | None:
    """A stage of that pipeline by key or display name, case-insensitively."""
    wanted = key_or_name.strip().casefold()
    for stage in PIPELINES[contact_type]:
        if wanted in (stage.key, stage.name.casefold()):
            return stage
    return None


def stage_name(contact_type: ContactType | str, key: str) -> str:
    stage = get_stage(ContactType(contact_type), key)
    return stage.name if stage else key


def find_contact_type(key_or_label: str) -> ContactType | None:
    wanted = key_or_label.strip().casefold().replace("-", " ")
    for ctype, label in CONTACT_TYPE_LABELS.items():
        if wanted in (ctype.value, ctype.value.replace("_", " "), label.casefold()):
            return ctype
    return None


# --- jobs (issue 12) --------------------------------------------------------------------------


class JobStatus(StrEnum):
    """A job's life: booked -> in progress -> completed -> invoiced -> paid, or cancelled."""

    BOOKED = "booked"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    INVOICED = "invoiced"
    PAID = "paid"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return JOB_STATUS_LABELS[self]


JOB_STATUS_LABELS: dict[JobStatus, str] = {
    JobStatus.BOOKED: "Booked",
    JobStatus.IN_PROGRESS: "In progress",
    JobStatus.COMPLETED: "Completed",
    JobStatus.INVOICED: "Invoiced",
    JobStatus.PAID: "Paid",
    JobStatus.CANCELLED: "Cancelled",
}
#: Jobs still to be paid: they count as unpaid on the card and are "the open job" of a stage.
OPEN_JOB_STATUSES: tuple[JobStatus, ...] = (
    JobStatus.BOOKED,
    JobStatus.IN_PROGRESS,
    JobStatus.COMPLETED,
    JobStatus.INVOICED,
)

#: The chance a contact at each stage turns into paid work: the forecast's weights (default;
#: a stage missing here weighs 0).
STAGE_PROBABILITIES: dict[str, float] = {
    "new_inquiry": 0.1,
    "client_pack_sent": 0.25,
    "awaiting_instruction": 0.5,
    "job_booked": 0.8,
    "job_in_progress": 0.9,
    "invoiced": 0.95,
    "paid": 1.0,
    "prospect": 0.05,
    "first_contact_made": 0.1,
    "in_discussion": 0.25,
    "quote_sent": 0.4,
    "thinking_about_it": 0.5,
    "won": 1.0,
}
#: Days without a stage move after which an open contact is stale, per pipeline.
STALE_DAYS: dict[ContactType, int] = {
    ContactType.EVICTION_CLIENT: 3,
    ContactType.PREVENTION_PROSPECT: 21,
    ContactType.REFERRAL_PARTNER: 90,
}
