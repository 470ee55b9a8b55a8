"""The FileStore contract, run against S3 (real boto3 and moto's S3 server) and a local folder."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from crm_core.config import Settings
from crm_core.errors import ObjectMissing, StorageUnavailable
from crm_core.storage import FileStore, LocalStore, S3Store, make_store

KEY = "crm/contact_1/20261123T101500000000Z_quote.pdf"


def read(store: FileStore, key: str) -> bytes:
    buffer = io.BytesIO()
    store.get(key, buffer)
    return buffer.getvalue()


def test_is_a_file_store(store):
    assert isinstance(store, FileStore)


def test_put_from_a_path_and_get_back(store, tmp_path):
    source = tmp_path / "in.pdf"
    data = os.urandom(300_000)
    source.write_bytes(data)
    store.put(KEY, source, "application/pdf")
    assert store.exists(KEY)
    assert read(store, KEY) == data


def test_put_from_an_open_file(store):
    store.put(KEY, io.BytesIO(b"%PDF-1.7 hello"), "application/pdf")
    assert read(store, KEY) == b"%PDF-1.7 hello"


def test_get_streams_into_a_file(store, tmp_path):
    data = os.urandom(2 * 1024 * 1024 + 17)
    store.put(KEY, io.BytesIO(data), "image/jpeg")
    target = tmp_path / "out.bin"
    with open(target, "wb") as out:
        store.get(KEY, out)
    assert target.read_bytes() == data


def test_put_replaces(store):
    store.put(KEY, io.BytesIO(b"one"), "text/plain")
    store.put(KEY, io.BytesIO(b"two"), "text/plain")
    assert read(store, KEY) == b"two"


def test_unicode_keys(store):
    key = "crm/contact_2/20261123T101500000000Z_Сделка №5 見積書.pdf"
    store.put(key, io.BytesIO(b"x"), "application/pdf")
    assert store.exists(key)
    assert read(store, key) == b"x"


def test_missing_object(store):
    assert not store.exists(KEY)
    with pytest.raises(ObjectMissing):
        read(store, KEY)


def test_delete_is_idempotent(store):
    store.put(KEY, io.BytesIO(b"x"), "text/plain")
    store.delete(KEY)
    assert not store.exists(KEY)
    store.delete(KEY)  # already gone: fine


@pytest.mark.parametrize(
    "key", ["", "../x", "crm/../../x", "/etc/passwd", "crm//x", "crm\\x", "crm/./x", "a\x00b"]
)
def test_keys_that_could_escape_are_refused(store, key):
    with pytest.raises(ValueError):
        store.put(key, io.BytesIO(b"x"), "text/plain")
    with pytest.raises(ValueError):
        store.exists(key)


def test_check_passes(store):
    ok, detail = store.check()
    assert ok, detail


# ----------------------------------------------------------------- store-specific


def test_s3_objects_are_encrypted_and_typed(moto_s3):
    store = S3Store(moto_s3.new_bucket(), endpoint_url=moto_s3.endpoint_url)
    store.put(KEY, io.BytesIO(b"%PDF"), "application/pdf")
    head = moto_s3.client.head_object(Bucket=store.bucket, Key=KEY)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentType"] == "application/pdf"


def test_s3_multipart_upload_of_a_big_file(moto_s3, tmp_path):
    store = S3Store(moto_s3.new_bucket(), endpoint_url=moto_s3.endpoint_url)
    source = tmp_path / "big.bin"
    data = os.urandom(25 * 1024 * 1024)  # over the multipart threshold: uploaded in parts
    source.write_bytes(data)
    store.put(KEY, source, "application/octet-stream")
    assert read(store, KEY) == data


def test_s3_missing_bucket_is_unavailable(moto_s3):
    store = S3Store("no-such-bucket", endpoint_url=moto_s3.endpoint_url)
    ok, detail = store.check()
    assert not ok
    assert "doesn't exist" in detail
    with pytest.raises(StorageUnavailable):
        store.put(KEY, io.BytesIO(b"x"), "text/plain")


def test_s3_unreachable_is_unavailable(moto_s3):
    store = S3Store("crm", endpoint_url="http://127.0.0.1:9")  # discard port: refused
    with pytest.raises(StorageUnavailable):
        store.put(KEY, io.BytesIO(b"x"), "text/plain")
    ok, detail = store.check()
    assert not ok
    assert "can't check" in detail


def test_local_store_stays_inside_its_folder(tmp_path):
    store = LocalStore(tmp_path / "files")
    store.put(KEY, io.BytesIO(b"x"), "text/plain")
    assert store.path_of(KEY) == (tmp_path / "files" / KEY).resolve()
    assert [p.name for p in (tmp_path / "files" / "crm" / "contact_1").iterdir()] == [
        Path(KEY).name
    ]  # no temporary file left behind


def test_local_store_unwritable_is_unavailable(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    store = LocalStore(blocker)
    with pytest.raises(StorageUnavailable):
        store.put(KEY, io.BytesIO(b"x"), "text/plain")
    ok, detail = store.check()
    assert not ok
    assert "FILE_STORAGE_DIR" in detail


def test_make_store_picks_by_settings(tmp_path, moto_s3):
    local = make_store(Settings(file_storage_dir=tmp_path))
    assert isinstance(local, LocalStore)
    s3 = make_store(Settings(s3_bucket="b", s3_endpoint_url=moto_s3.endpoint_url))
    assert isinstance(s3, S3Store)
    assert s3.bucket == "b"
