"""The sandbox's demo data, made through the services on each database: every kind and stage,
stage histories, notes, follow-ups overdue / today / later for each admin, stored files."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.config import AdminSpec, Settings
from crm_core.demo import DEMO_COUNTS, load_demo
from crm_core.models import Contact, File, Note, StageChange, User
from crm_core.services.digests import build_digest
from crm_core.stages import PIPELINES, ContactType
from crm_core.storage import LocalStore

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ADMINS = (AdminSpec(1001, "Lance"), AdminSpec(1002, "Tom"))


def test_demo_data(session_factory: sessionmaker[Session], tmp_path: Path):
    store = LocalStore(tmp_path / "files")
    settings = Settings(admins=ADMINS)
    summary = load_demo(session_factory, store, settings, now=NOW)
    today = NOW.date()

    with session_factory() as s:
        contacts = list(s.scalars(select(Contact)))
        assert len(contacts) == sum(DEMO_COUNTS.values()) == summary.contacts == 40
        assert len({c.name for c in contacts}) == 40
        for ctype, count in DEMO_COUNTS.items():
            kind = [c for c in contacts if c.contact_type == ctype.value]
            assert len(kind) == count
            assert {c.current_stage for c in kind} == {st.key for st in PIPELINES[ctype]}
        assert all(c.email and c.phone for c in contacts)
        assert sum(1 for c in contacts if c.potential_value) >= 25
        assert all(
            c.referred_by_id is None or c.referred_by_id in {p.id for p in contacts}
            for c in contacts
        )

        # Stage history leads to the current stage, step by step.
        for contact in contacts:
            history = list(
                s.scalars(
                    select(StageChange)
                    .where(StageChange.contact_id == contact.id)
                    .order_by(StageChange.changed_at)
                )
            )
            assert history[0].from_stage is None
            assert history[-1].to_stage == contact.current_stage
            assert [h.from_stage for h in history[1:]] == [h.to_stage for h in history[:-1]]
        assert s.scalar(select(func.count()).select_from(StageChange)) == summary.stage_changes
        assert s.scalar(select(func.count()).select_from(Note)) == summary.notes >= 40

        users = {u.display_name: u.id for u in s.scalars(select(User))}
        assert set(users) == {"Lance", "Tom"}
        for owner in users.values():
            mine = [c.next_followup_date for c in contacts if c.owner_id == owner]
            due = [d for d in mine if d is not None]
            assert any(d < today for d in due), "an overdue follow-up"
            assert any(d == today for d in due), "one due today"
            assert any(d > today + timedelta(days=6) for d in due), "one later"
            digest = build_digest(s, owner, today)
            assert digest.overdue_total >= 1
            assert digest.due_total > digest.overdue_total

        files = list(s.scalars(select(File)))
        assert len(files) == summary.files >= 3
        for row in files:
            data = io.BytesIO()
            store.get(row.storage_key, data)
            assert len(data.getvalue()) == row.file_size > 0
        assert {f.file_type for f in files} == {"image/png", "text/plain"}
    assert {ContactType(c.contact_type) for c in contacts} == set(ContactType)
