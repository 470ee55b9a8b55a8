"""Contacts: create, read, update, change stage; the trash, search, listing and duplicates are
in their own modules (``trash``, ``search``, ``listing``, ``duplicates``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.errors import NotFound, ValidationError
from crm_core.fields import CONTACT_FIELDS
from crm_core.models import Contact, StageChange, User, utcnow
from crm_core.services import revenue
from crm_core.stages import ContactType, Status, find_stage, first_stage
from crm_core.validation import clean_field, clean_followup_at


def live() -> Any:
    return Contact.deleted_at.is_(None)


def derived_columns(contact: Contact) -> dict[str, str]:
    """The columns kept from a contact's fields: ``search_text`` (casefolded name, email,
    company and phone digits) for search, ``name_key`` (the name casefolded) for ordering."""
    parts = [contact.name, contact.email or "", contact.company or ""]
    if contact.phone:
        digits = re.sub(r"\D", "", contact.phone)
        parts.append(digits)
        if contact.phone.startswith("+44"):
            parts.append("0" + digits[2:])  # the national form people type: 07700...
    return {
        "search_text": " ".join(p.casefold() for p in parts if p),
        "name_key": contact.name.casefold(),
    }


def _derive(contact: Contact) -> None:
    for column_name, value in derived_columns(contact).items():
        setattr(contact, column_name, value)


def _clean(data: Mapping[str, Any], today: date) -> dict[str, Any]:
    unknown = (
        set(data) - set(CONTACT_FIELDS) - {"current_stage", "status", "owner_id", "referred_by_id"}
    )
    if unknown:
        raise ValidationError(sorted(unknown)[0], f"Unknown field: {sorted(unknown)[0]}.")
    return {
        name: clean_field(name, value, today=today)
        for name, value in data.items()
        if name in CONTACT_FIELDS
    }


def _check_owner(session: Session, owner_id: int) -> User:
    owner = session.get(User, owner_id)
    if owner is None or not owner.active:
        raise ValidationError("owner", "That admin doesn't exist or is no longer active.")
    return owner


def _check_referrer(session: Session, referred_by_id: int | None, self_id: int | None) -> None:
    if referred_by_id is None:
        return
    partner = session.get(Contact, referred_by_id)
    if partner is None or partner.deleted_at is not None or partner.id == self_id:
        raise ValidationError("referred_by_id", "That referral partner doesn't exist.")
    if partner.type is not ContactType.REFERRAL_PARTNER:
        raise ValidationError("referred_by_id", f"{partner.name} is not a referral partner.")


def create_contact(
    session: Session,
    owner_id: int,
    data: Mapping[str, Any],
    *,
    today: date,
    now: datetime | None = None,
) -> Contact:
    """Validate every field, then insert the contact and its first stage-history row."""
    now = now or utcnow()
    values = _clean(data, today)
    if "name" not in values:
        raise ValidationError("name", "Name can't be empty.")
    if "contact_type" not in values:
        raise ValidationError("contact_type", "Choose the contact's type.")
    ctype: ContactType = values["contact_type"]
    stage = first_stage(ctype)
    if data.get("current_stage"):
        found = find_stage(ctype, str(data["current_stage"]))
        if found is None:
            raise ValidationError(
                "current_stage", f"{data['current_stage']!r} is not a stage for {ctype.label}s."
            )
        stage = found
    status = stage.status
    if data.get("status"):
        try:
            status = Status(str(data["status"]).strip().lower())
        except ValueError:
            raise ValidationError(
                "status", "Status must be active, won, lost or dormant."
            ) from None
    _check_owner(session, owner_id)
    _check_referrer(session, data.get("referred_by_id"), None)
    values["contact_type"] = ctype.value
    contact = Contact(
        **values,
        owner_id=owner_id,
        referred_by_id=data.get("referred_by_id"),
        current_stage=stage.key,
        status=status.value,
        stage_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    if data.get("next_followup_date") is not None:  # "tomorrow 14:00" keeps its time
        contact.next_followup_time = clean_followup_at(data["next_followup_date"], today)[1]
    _derive(contact)
    session.add(contact)
    session.flush()
    session.add(
        StageChange(
            contact_id=contact.id,
            from_stage=None,
            to_stage=stage.key,
            changed_by=owner_id,
            changed_at=now,
        )
    )
    session.flush()
    return contact


#: What every service says of a contact id that names no contact (erased, or in the trash
#: where only live ones will do): ids are never reused, so an old button or reply can't name
#: another contact.
GONE = "That contact no longer exists."


def get_contact(session: Session, contact_id: int, *, include_deleted: bool = False) -> Contact:
    """The one way services load a contact by id; ``NotFound(GONE)`` if there is none."""
    contact = session.get(Contact, contact_id)
    if contact is None or (contact.deleted_at is not None and not include_deleted):
        raise NotFound(GONE)
    return contact


def update_contact(
    session: Session,
    contact_id: int,
    changes: Mapping[str, Any],
    *,
    by_user_id: int | None,
    today: date,
    now: datetime | None = None,
) -> Contact:
    """Apply a partial update. A new type resets the stage to that pipeline's first."""
    now = now or utcnow()
    contact = get_contact(session, contact_id)
    values = _clean(changes, today)
    for name in ("current_stage", "status"):
        if name in changes:  # follows from the stage, which change_stage records in history
            raise ValidationError(name, "The stage is changed on its own, not with an edit.")
    if "name" in changes and "name" not in values:
        raise ValidationError("name", "Name can't be empty.")
    # Check everything before changing anything: nothing half-applied if a check fails.
    if "owner_id" in changes:
        _check_owner(session, int(changes["owner_id"]))
    if "referred_by_id" in changes:
        _check_referrer(session, changes["referred_by_id"], contact.id)
    revenue.refuse_hand_edits(session, contact, values)
    if "owner_id" in changes:
        contact.owner_id = int(changes["owner_id"])
    if "referred_by_id" in changes:
        old_partner, contact.referred_by_id = contact.referred_by_id, changes["referred_by_id"]
        session.flush()
        revenue.move_referral(session, contact.id, old_partner, contact.referred_by_id)
    new_type = values.pop("contact_type", None)
    for name, value in values.items():
        setattr(contact, name, value)
    if "next_followup_date" in changes:  # a new date drops the old time unless one is typed
        contact.next_followup_time = clean_followup_at(changes["next_followup_date"], today)[1]
    if new_type is not None and new_type.value != contact.contact_type:
        contact.contact_type = new_type.value
        _record_stage(session, contact, first_stage(new_type).key, by_user_id, now)
    _derive(contact)
    contact.updated_at = now
    session.flush()
    return contact


def _record_stage(
    session: Session, contact: Contact, to_stage: str, by_user_id: int | None, now: datetime
) -> None:
    stage = find_stage(contact.type, to_stage)
    if stage is None:
        raise ValidationError(
            "current_stage", f"That stage isn't part of the {contact.type.label} pipeline."
        )
    session.add(
        StageChange(
            contact_id=contact.id,
            from_stage=contact.current_stage,
            to_stage=stage.key,
            changed_by=by_user_id,
            changed_at=now,
        )
    )
    contact.current_stage = stage.key
    contact.status = stage.status.value
    contact.stage_changed_at = now


def change_stage(
    session: Session,
    contact_id: int,
    stage_key: str,
    *,
    by_user_id: int | None,
    now: datetime | None = None,
) -> Contact:
    """Move a contact to a stage of its own pipeline, recording the change."""
    now = now or utcnow()
    contact = get_contact(session, contact_id)
    stage = find_stage(contact.type, stage_key)
    if stage is None:
        raise ValidationError(
            "current_stage", f"That stage isn't part of the {contact.type.label} pipeline."
        )
    if stage.key != contact.current_stage:
        _record_stage(session, contact, stage.key, by_user_id, now)
        contact.updated_at = now
        session.flush()
    return contact


def stage_history(session: Session, contact_id: int) -> list[StageChange]:
    get_contact(session, contact_id)
    return list(
        session.scalars(
            select(StageChange)
            .where(StageChange.contact_id == contact_id)
            .order_by(StageChange.changed_at, StageChange.id)
        )
    )


def recently_touched(session: Session, *, limit: int = 5) -> list[Contact]:
    return list(
        session.scalars(
            select(Contact).where(live()).order_by(Contact.updated_at.desc()).limit(limit)
        )
    )
