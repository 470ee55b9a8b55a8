"""The optional one-line reason a deal was lost, kept on the stage change to the lost stage
(asked right after the move; ``/report`` lists the reasons of the deals lost in a period)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.errors import ValidationError
from crm_core.models import LOST_REASON_MAX, LostReason, StageChange
from crm_core.services.contacts import get_contact
from crm_core.stages import Status, get_stage


def record_lost_reason(session: Session, contact_id: int, reason: str) -> LostReason:
    """Keep ``reason`` (its lines joined into one) on the contact's latest stage change, which
    must be its move to a lost stage: a contact moved on meanwhile keeps nothing."""
    text = " ".join(reason.split())
    if not text:
        raise ValidationError("lost_reason", "A lost reason is a line of text (or tap Skip).")
    if len(text) > LOST_REASON_MAX:
        raise ValidationError(
            "lost_reason",
            f"A lost reason is at most {LOST_REASON_MAX} characters; that was {len(text)}.",
        )
    contact = get_contact(session, contact_id)
    latest = session.scalars(
        select(StageChange)
        .where(StageChange.contact_id == contact_id)
        .order_by(StageChange.changed_at.desc(), StageChange.id.desc())
        .limit(1)
    ).first()
    stage = get_stage(contact.type, latest.to_stage) if latest else None
    if latest is None or stage is None or stage.status is not Status.LOST:
        raise ValidationError(
            "stage", f"{contact.name} is no longer lost, so the reason wasn't kept."
        )
    kept = session.get(LostReason, latest.id) or LostReason(stage_change_id=latest.id)
    kept.reason = text
    session.add(kept)
    session.flush()
    return kept
