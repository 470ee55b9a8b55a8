"""SQLAlchemy 2.x typed models. ``migrations/`` must stay equal to these (a test checks).

One module per area; every model is importable from here (``from crm_core.models import
Contact``), and importing this package registers every table on ``Base.metadata`` (what Alembic
compares against).
"""

from .base import NAMING_CONVENTION, NEVER_REUSE_IDS, Base, UTCDateTime, utcnow
from .contacts import LOST_REASON_MAX, SQLITE_SEARCH_INDEX, Contact, LostReason, Note, StageChange
from .emails import Email, EmailAddressSeen, EmailConfig, EmailCursor
from .files import File, PendingObjectDelete
from .jobs import Job
from .ledgers import BotState, DigestDelivery, ProcessedUpdate, ReminderDelivery
from .users import User

__all__ = [
    "LOST_REASON_MAX",
    "NAMING_CONVENTION",
    "NEVER_REUSE_IDS",
    "SQLITE_SEARCH_INDEX",
    "Base",
    "BotState",
    "Contact",
    "DigestDelivery",
    "Email",
    "EmailAddressSeen",
    "EmailConfig",
    "EmailCursor",
    "File",
    "Job",
    "LostReason",
    "Note",
    "PendingObjectDelete",
    "ProcessedUpdate",
    "ReminderDelivery",
    "StageChange",
    "UTCDateTime",
    "User",
    "utcnow",
]
