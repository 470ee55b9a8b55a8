"""The files service on each database backend, against S3 (moto) and a local folder."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from crm_core.errors import NotFound, ObjectMissing, StorageUnavailable, ValidationError
from crm_core.models import File, PendingObjectDelete
from crm_core.services import files as svc
from crm_core.services.contacts import create_contact, recently_touched
from crm_core.services.trash import delete_contact, list_trash, purge_trash
from crm_core.storage import FileStore, Source, is_crm_key


@dataclass
class FlakyStore:
    """A real store that can be switched off: every call fails while ``down``."""

    inner: FileStore
    down: bool = False
    calls: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)

    def _gate(self, what: str) -> None:
        self.calls.append(what)
        if self.down:
            raise StorageUnavailable(f"{what}: switched off by the test")

    def put(self, key: str, source: Source, content_type: str) -> None:
        self._gate("put")
        self.inner.put(key, source, content_type)
        self.written.append(key)

    def get(self, key: str, dest: BinaryIO) -> None:
        self._gate("get")
        self.inner.get(key, dest)

    def delete(self, key: str) -> None:
        self._gate("delete")
        self.inner.delete(key)

    def exists(self, key: str) -> bool:
        self._gate("exists")
        return self.inner.exists(key)

    def check(self) -> tuple[bool, str]:
        return (False, "down") if self.down else self.inner.check()


@pytest.fixture
def flaky(store) -> FlakyStore:
    return FlakyStore(store)


@pytest.fixture
def contact_ids(session_factory, alice, today, now):
    """Two contacts, committed an hour before ``now`` (so an attachment at ``now`` touches
    its contact later than both were made)."""
    with session_factory.begin() as s:
        return [
            create_contact(
                s,
                alice.id,
                {"name": name, "contact_type": "eviction_client"},
                today=today,
                now=now - timedelta(hours=1),
            ).id
            for name in ("Jane Smith", "Omar Khan")
        ]


@pytest.fixture
def pdf(tmp_path) -> Path:
    path = tmp_path / "upload.pdf"
    path.write_bytes(b"%PDF-1.7 " + b"x" * 5000)
    return path


def attach(session_factory, store, contact_id, source, *, alice_id, **kw):
    options = {
        "file_name": "quote.pdf",
        "mime_type": "application/pdf",
        "category": "quote",
        "uploaded_by": alice_id,
        "telegram_file_unique_id": "uniq-1",
        "telegram_file_id": "file-1",
        "telegram_kind": "document",
        **kw,
    }
    with session_factory.begin() as s:
        return svc.attach_file(s, store, contact_id, source, **options)


def read(store, key) -> bytes:
    buffer = io.BytesIO()
    store.get(key, buffer)
    return buffer.getvalue()


def count_files(session_factory) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(File)) or 0


def test_attach_uploads_then_records(session_factory, store, contact_ids, alice, pdf, now):
    cid = contact_ids[0]
    result = attach(
        session_factory, store, cid, pdf, alice_id=alice.id, caption=" Signed ", now=now
    )
    row = result.file
    assert not result.duplicate
    assert row.storage_key.startswith(f"crm/contact_{cid}/20261123T100000")
    assert row.storage_key.endswith("_quote.pdf")
    assert is_crm_key(row.storage_key)
    assert (row.file_name, row.file_type) == ("quote.pdf", "application/pdf")
    assert row.category == "quote"
    assert row.file_size == pdf.stat().st_size
    assert row.caption == "Signed"
    assert row.telegram_kind == "document"
    assert read(store, row.storage_key) == pdf.read_bytes()
    with session_factory() as s:
        assert [f.id for f in svc.list_files(s, cid)] == [row.id]
        assert recently_touched(s, limit=1)[0].id == cid


def test_same_telegram_file_is_stored_once_per_contact(
    session_factory, store, contact_ids, alice, pdf
):
    first = attach(session_factory, store, contact_ids[0], pdf, alice_id=alice.id).file
    again = attach(session_factory, store, contact_ids[0], pdf, alice_id=alice.id)
    assert again.duplicate
    assert again.file.id == first.id
    other = attach(session_factory, store, contact_ids[1], pdf, alice_id=alice.id)
    assert not other.duplicate  # another contact may have it too
    assert count_files(session_factory) == 2


def test_nothing_is_stored_for_a_contact_in_the_trash(
    session_factory, flaky, contact_ids, alice, pdf
):
    with session_factory.begin() as s:
        delete_contact(s, contact_ids[0])
    with pytest.raises(NotFound):
        attach(session_factory, flaky, contact_ids[0], pdf, alice_id=alice.id)
    assert "put" not in flaky.calls


def test_bad_category_is_refused_before_upload(session_factory, flaky, contact_ids, alice, pdf):
    with pytest.raises(ValidationError):
        attach(session_factory, flaky, contact_ids[0], pdf, alice_id=alice.id, category="selfie")
    assert "put" not in flaky.calls


def test_storage_down_saves_nothing(session_factory, flaky, contact_ids, alice, pdf):
    flaky.down = True
    with pytest.raises(StorageUnavailable):
        attach(session_factory, flaky, contact_ids[0], pdf, alice_id=alice.id)
    assert count_files(session_factory) == 0
    flaky.down = False  # back: the same call works
    row = attach(session_factory, flaky, contact_ids[0], pdf, alice_id=alice.id).file
    assert flaky.exists(row.storage_key)


def test_a_failing_row_deletes_the_object(session_factory, flaky, contact_ids, alice, pdf):
    with pytest.raises(IntegrityError):  # no such user: the insert fails at flush
        attach(session_factory, flaky, contact_ids[0], pdf, alice_id=999_999)
    assert count_files(session_factory) == 0
    assert len(flaky.written) == 1
    assert not flaky.exists(flaky.written[0])


def test_a_rolled_back_transaction_deletes_the_object(
    session_factory, store, contact_ids, alice, pdf
):
    keys: list[str] = []

    def attach_then_fail() -> None:
        with session_factory.begin() as s:
            row = svc.attach_file(
                s,
                store,
                contact_ids[0],
                pdf,
                file_name="a.pdf",
                mime_type="application/pdf",
                category="quote",
                uploaded_by=alice.id,
            ).file
            keys.append(row.storage_key)
            assert store.exists(row.storage_key)
            raise RuntimeError("something later in the same transaction fails")

    with pytest.raises(RuntimeError):
        attach_then_fail()
    assert not store.exists(keys[0])
    assert count_files(session_factory) == 0


def test_a_committed_object_survives_later_rollbacks(
    session_factory, store, contact_ids, alice, pdf
):
    s = session_factory()
    try:
        row = svc.attach_file(
            s,
            store,
            contact_ids[0],
            pdf,
            file_name="a.pdf",
            mime_type="application/pdf",
            category="quote",
            uploaded_by=alice.id,
        ).file
        key = row.storage_key
        s.commit()
        s.rollback()  # a later, unrelated transaction of the same session
        s.execute(select(File)).all()
        s.rollback()
    finally:
        s.close()
    assert store.exists(key)


def test_hostile_names_make_safe_keys(session_factory, store, contact_ids, alice, pdf):
    names = ["../../etc/passwd", "x" * 300 + ".pdf", "invoice\u202egpj.exe", None]
    for index, name in enumerate(names):
        row = attach(
            session_factory,
            store,
            contact_ids[0],
            pdf,
            alice_id=alice.id,
            file_name=name,
            telegram_file_unique_id=f"u{index}",
        ).file
        assert is_crm_key(row.storage_key), row.storage_key
        assert ".." not in row.storage_key
        assert "\u202e" not in row.storage_key
        assert len(row.file_name) <= 120
        assert read(store, row.storage_key) == pdf.read_bytes()
    with session_factory() as s:
        shown = [f.file_name for f in svc.list_files(s, contact_ids[0])]
    assert "etc_passwd.pdf" in shown
    assert "invoicegpj.exe" in shown
    assert any(n.startswith("document_") and n.endswith(".pdf") for n in shown)


def test_get_and_fetch(session_factory, store, contact_ids, alice, pdf):
    row = attach(session_factory, store, contact_ids[0], pdf, alice_id=alice.id).file
    with session_factory() as s:
        got = svc.get_file(s, row.id, contact_id=contact_ids[0])
        with pytest.raises(NotFound):
            svc.get_file(s, row.id, contact_id=contact_ids[1])
    buffer = io.BytesIO()
    svc.fetch_file(store, got, buffer)
    assert buffer.getvalue() == pdf.read_bytes()
    store.delete(row.storage_key)
    with pytest.raises(ObjectMissing):
        svc.fetch_file(store, got, io.BytesIO())


def test_set_category(session_factory, store, contact_ids, alice, pdf):
    row = attach(session_factory, store, contact_ids[0], pdf, alice_id=alice.id).file
    with session_factory.begin() as s:
        assert [f.category for f in svc.set_category(s, [row.id], "Contract")] == ["contract"]
    with session_factory.begin() as s, pytest.raises(ValidationError):
        svc.set_category(s, [row.id], "nope")


def test_delete_file_deletes_row_then_object(session_factory, store, contact_ids, alice, pdf):
    row = attach(session_factory, store, contact_ids[0], pdf, alice_id=alice.id).file
    with session_factory.begin() as s:
        deleted = svc.delete_file(s, row.id, contact_id=contact_ids[0])
    assert count_files(session_factory) == 0
    assert store.exists(row.storage_key)  # the object goes once the row's delete committed
    assert svc.delete_objects(store, [deleted.storage_key]).deleted == [row.storage_key]
    assert not store.exists(row.storage_key)
    with session_factory.begin() as s, pytest.raises(NotFound):
        svc.delete_file(s, row.id)


def test_purge_deletes_objects_and_retries_failures(
    session_factory, flaky, contact_ids, alice, pdf, now
):
    cid, other = contact_ids
    keys = [
        attach(
            session_factory, flaky, cid, pdf, alice_id=alice.id, telegram_file_unique_id=f"u{i}"
        ).file.storage_key
        for i in range(3)
    ]
    kept = attach(session_factory, flaky, other, pdf, alice_id=alice.id).file.storage_key
    with session_factory.begin() as s:
        delete_contact(s, cid, now=now - timedelta(days=31))
    # Trash keeps the files.
    assert all(flaky.exists(k) for k in keys)
    with session_factory.begin() as s:
        result = purge_trash(s, now=now)
    assert sorted(result.storage_keys) == sorted(keys)

    flaky.down = True  # the delete fails: logged, recorded, the contact is gone anyway
    report = svc.delete_objects(flaky, result.storage_keys)
    assert sorted(report.failed) == sorted(keys)
    with session_factory.begin() as s:
        svc.record_deletes(s, report)
    with session_factory() as s:
        pending = {p.storage_key: p.attempts for p in s.scalars(select(PendingObjectDelete))}
    assert pending == dict.fromkeys(keys, 1)
    with session_factory.begin() as s:
        retry = svc.pending_deletes(s)
        assert sorted(retry) == sorted(keys)
        report = svc.delete_objects(flaky, retry)
        assert report.failed  # still down
        svc.record_deletes(s, report)
    with session_factory() as s:
        assert {p.attempts for p in s.scalars(select(PendingObjectDelete))} == {2}

    flaky.down = False  # the next purge run
    with session_factory.begin() as s:
        report = svc.delete_objects(flaky, svc.pending_deletes(s))
        svc.record_deletes(s, report)
    assert sorted(report.deleted) == sorted(keys)
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(PendingObjectDelete)) == 0
    assert not any(flaky.exists(k) for k in keys)
    assert flaky.exists(kept)


def test_clean_mime():
    assert svc.clean_mime("Application/PDF; charset=x") == "application/pdf"
    assert svc.clean_mime("not a mime") == "application/octet-stream"
    assert svc.clean_mime(None) == "application/octet-stream"
    assert svc.clean_mime("image/svg+xml") == "image/svg+xml"


async def test_daily_housekeeping_deletes_objects_and_retries_failures(
    session_factory, flaky, contact_ids, alice, pdf
):
    from types import SimpleNamespace

    from bot.app import _daily_housekeeping
    from bot.context import CrmContext
    from bot.runtime import BOT_DATA_KEY, Crm
    from crm_core.config import Settings
    from crm_core.models import utcnow

    cid, other = contact_ids
    gone = attach(session_factory, flaky, cid, pdf, alice_id=alice.id).file.storage_key
    stuck = "crm/contact_999/20261001T000000000000Z_left-over.pdf"
    flaky.put(stuck, pdf, "application/pdf")
    with session_factory.begin() as s:
        s.add(PendingObjectDelete(storage_key=stuck, attempts=1, created_at=utcnow()))
        delete_contact(s, cid, now=utcnow() - timedelta(days=31))
        delete_contact(s, other, now=utcnow() - timedelta(days=1))
    services = Crm(
        settings=Settings(),
        engine=session_factory.kw["bind"],
        session_factory=session_factory,
        store=flaky,
    )
    # A real context over a stand-in Application: _daily_housekeeping reads context.crm.
    context = CrmContext(SimpleNamespace(bot_data={BOT_DATA_KEY: services}))  # type: ignore[arg-type]
    sqlite = services.engine.dialect.name == "sqlite"
    if sqlite:
        with session_factory.begin() as s:
            s.execute(text("DROP TABLE IF EXISTS sqlite_stat1"))

    await _daily_housekeeping(context)

    if sqlite:  # SQLite's planner statistics, refreshed
        with session_factory() as s:
            assert s.scalar(text("SELECT count(*) FROM sqlite_stat1"))

    assert not flaky.exists(gone)
    assert not flaky.exists(stuck)  # the delete that failed before went through this time
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(PendingObjectDelete)) == 0
        assert [c.id for c in list_trash(s).items] == [other]
