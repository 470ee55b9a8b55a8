"""Seed data for the benchmarks: realistic contacts with notes and stage history, bulk-inserted.

Rows go in with ``session.execute(insert(Model), rows)`` in batches (executemany; on PostgreSQL
SQLAlchemy batches them into multi-row INSERTs). ``search_text`` and ``name_key`` come from the
service's own ``derived_columns``, so search and lists see exactly what they would after
``create_contact``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session

from crm_core.demo import (
    COMPANY_SUFFIXES,
    FIRST_NAMES,
    FREE_MAIL,
    HOW_FOUND,
    NOTE_TEXTS,
    SERVICES,
    STREETS,
    SURNAMES,
    TOWNS,
    ascii_fold,
)
from crm_core.models import Contact, Note, StageChange, User
from crm_core.services.contacts import derived_columns
from crm_core.stages import PIPELINES, ContactType, NoteType, Urgency

ADMIN_NAMES = ("Sam", "Lee", "Priya", "Tom", "Dana")
#: Share of each contact type in the seed (evictions and prospects dominate, as in the business).
TYPE_WEIGHTS = {
    ContactType.EVICTION_CLIENT: 45,
    ContactType.PREVENTION_PROSPECT: 40,
    ContactType.REFERRAL_PARTNER: 15,
}


@dataclass(frozen=True, slots=True)
class SeedStats:
    contacts: int
    notes: int
    stage_changes: int
    admins: int
    seconds: float


def seed(
    engine: Engine,
    *,
    contacts: int,
    today: date,
    seed: int = 2026,
    batch_size: int = 5_000,
) -> SeedStats:
    """Fill an empty, migrated database. Ids are assigned here (1..n) so notes and stage rows
    can point at their contact without a round trip; sequences are moved past them after."""
    started = time.perf_counter()
    rng = random.Random(seed)
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC).replace(hour=9)
    admin_ids = list(range(1, len(ADMIN_NAMES) + 1))
    counts = {"notes": 0, "stage_changes": 0}
    with Session(engine) as session, session.begin():
        session.execute(
            insert(User),
            [
                {
                    "id": uid,
                    "telegram_user_id": 900_000 + uid,
                    "display_name": name,
                    "created_at": now - timedelta(days=400),
                }
                for uid, name in zip(admin_ids, ADMIN_NAMES, strict=True)
            ],
        )
        for chunk in _chunks(range(1, contacts + 1), batch_size):
            people, notes, stages = [], [], []
            for contact_id in chunk:
                person = _contact(rng, contact_id, admin_ids, today, now)
                people.append(person)
                notes.extend(_notes(rng, person, now))
                stages.extend(_stage_history(person))
            session.execute(insert(Contact), people)
            session.execute(insert(Note), notes)
            session.execute(insert(StageChange), stages)
            counts["notes"] += len(notes)
            counts["stage_changes"] += len(stages)
        if engine.dialect.name == "postgresql":
            for table in ("users", "crm_contacts", "crm_notes", "crm_stage_changes"):
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    return SeedStats(
        contacts=contacts,
        notes=counts["notes"],
        stage_changes=counts["stage_changes"],
        admins=len(admin_ids),
        seconds=time.perf_counter() - started,
    )


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _contact(
    rng: random.Random, contact_id: int, admin_ids: list[int], today: date, now: datetime
) -> dict[str, Any]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
    name = f"{first} {last}"
    ctype = rng.choices(list(TYPE_WEIGHTS), weights=list(TYPE_WEIGHTS.values()))[0]
    pipeline = PIPELINES[ctype]
    # Most contacts are early in their pipeline; fewer reach the end.
    weights = [len(pipeline) - i + 1 for i in range(len(pipeline))]
    stage = rng.choices(pipeline, weights=weights)[0]
    company = None
    if ctype is ContactType.REFERRAL_PARTNER or rng.random() < 0.5:
        owner_name = rng.choice((rng.choice(SURNAMES), rng.choice(TOWNS)))
        company = f"{owner_name} {rng.choice(COMPANY_SUFFIXES)}"
    email = None
    if rng.random() < 0.8:
        domain = (
            ascii_fold(company).lower().split()[0] + ".co.uk"
            if company and rng.random() < 0.6
            else rng.choice(FREE_MAIL)
        )
        local = rng.choice(
            (f"{first}.{last}", f"{first[0]}{last}", f"{first}{rng.randint(1, 99)}")
        )
        email = f"{ascii_fold(local).lower().replace(' ', '')}@{domain}"
    phone = None
    if rng.random() < 0.85:
        if rng.random() < 0.7:
            phone = f"+447{rng.randint(100_000_000, 999_999_999)}"  # a mobile
        else:
            area = rng.choice(("113", "161", "121", "114", "117", "2079"))
            phone = f"+44{area}{rng.randint(10 ** (9 - len(area)), 10 ** (10 - len(area)) - 1)}"
    followup = today + timedelta(days=rng.randint(-60, 60)) if rng.random() < 0.85 else None
    potential = None
    if ctype is not ContactType.REFERRAL_PARTNER and rng.random() < 0.7:
        potential = Decimal(rng.randint(300_00, 25_000_00)) / 100
    won = stage.status.value == "won"
    created = now - timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 1439))
    row: dict[str, Any] = {
        "id": contact_id,
        "name": name,
        "email": email,
        "phone": phone,
        "company": company,
        "contact_type": ctype.value,
        "how_found_us": rng.choice(HOW_FOUND) if rng.random() < 0.6 else None,
        "property_address": (
            f"{rng.randint(1, 240)} {rng.choice(STREETS)}, {rng.choice(TOWNS)}"
            if ctype is not ContactType.REFERRAL_PARTNER
            else None
        ),
        "service_type": rng.choice(SERVICES) if rng.random() < 0.7 else None,
        "urgency_level": rng.choices(list(Urgency), weights=(2, 6, 2, 1))[0].value,
        "current_stage": stage.key,
        "status": stage.status.value,
        "next_followup_date": followup,
        "potential_value": potential,
        "total_revenue": potential if won and potential else Decimal(0),
        "total_jobs_referred": (
            rng.randint(0, 25) if ctype is ContactType.REFERRAL_PARTNER else 0
        ),
        "owner_id": rng.choice(admin_ids),
        "referred_by_id": None,
        "stage_changed_at": min(now, created + timedelta(days=rng.randint(0, 30))),
        "created_at": created,
        "updated_at": min(now, created + timedelta(days=rng.randint(0, 60))),
        # About 1% sit in the trash: every query must leave them out.
        "deleted_at": now - timedelta(days=rng.randint(0, 29)) if rng.random() < 0.01 else None,
    }
    row.update(derived_columns(Contact(name=name, email=email, company=company, phone=phone)))
    return row


def _notes(rng: random.Random, person: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    created: datetime = person["created_at"]
    return [
        {
            "contact_id": person["id"],
            "note_type": rng.choice(list(NoteType)).value,
            "content": rng.choice(NOTE_TEXTS),
            "created_by": person["owner_id"],
            "created_at": min(now, created + timedelta(days=n * rng.randint(1, 20))),
        }
        for n in (1, 2)
    ]


def _stage_history(person: dict[str, Any]) -> list[dict[str, Any]]:
    first = PIPELINES[ContactType(person["contact_type"])][0].key
    rows = [
        {
            "contact_id": person["id"],
            "from_stage": None,
            "to_stage": first,
            "changed_by": person["owner_id"],
            "changed_at": person["created_at"],
        }
    ]
    if person["current_stage"] != first:
        rows.append(
            {
                "contact_id": person["id"],
                "from_stage": first,
                "to_stage": person["current_stage"],
                "changed_by": person["owner_id"],
                "changed_at": person["stage_changed_at"],
            }
        )
    return rows
