"""Where file bytes live: S3 (production) or a local folder (the embedded default).

One small interface, :class:`FileStore`, with two implementations. Everything streams: ``put``
reads from a path or an open file, ``get`` writes into an open file, so a file is never whole in
memory. Every failure of the backend (unreachable, refused, misconfigured) comes out as
:class:`~crm_core.errors.StorageUnavailable`, so callers need to know of one error only.

The methods are synchronous and may take seconds: front ends call them from a worker thread.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Protocol, runtime_checkable

from crm_core.config import Settings
from crm_core.errors import ObjectMissing, StorageUnavailable

log = logging.getLogger(__name__)

#: Where bytes come from for ``put``: a file on disk (best: S3 uploads it in parts without
#: reading it into memory) or an open binary file.
Source = str | os.PathLike[str] | BinaryIO

_CHUNK = 256 * 1024

# Keys we write: "crm/contact_1/20261123T101500123456Z_quote.pdf". A key segment never is
# "." or "..", and no key holds a backslash or a NUL.
_BAD_SEGMENT = {"", ".", ".."}


@runtime_checkable
class FileStore(Protocol):
    """Put, get, delete and look up stored objects by key."""

    def put(self, key: str, source: Source, content_type: str) -> None:
        """Store the bytes of ``source`` under ``key`` (replacing what is there)."""

    def get(self, key: str, dest: BinaryIO) -> None:
        """Write the object's bytes into ``dest``; ``ObjectMissing`` if there is none."""

    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing object is not an error."""

    def exists(self, key: str) -> bool: ...

    def check(self) -> tuple[bool, str]:
        """Whether the store is usable, and one line saying so (for ``crm doctor``)."""


def check_key(key: str) -> str:
    """Refuse a key that could mean anything but a plain relative path."""
    if not key or "\\" in key or "\x00" in key or key.startswith("/"):
        raise ValueError(f"bad storage key {key!r}")
    if any(part in _BAD_SEGMENT for part in key.split("/")):
        raise ValueError(f"bad storage key {key!r}")
    return key


# ---------------------------------------------------------------------------------- S3


class S3Store:
    """An S3 bucket through boto3 (AWS, or MinIO/R2/moto with ``endpoint_url``).

    Region and credentials come from boto3's standard chain (environment, config files, instance
    role). Objects are written with server-side encryption (SSE-S3, AES256).
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        client: Any = None,
    ) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.bucket = bucket
        self.endpoint_url = endpoint_url
        # Made now, not on first use: a misconfiguration shows at start, and the first upload
        # doesn't pay for loading botocore's service model.
        self.client: Any = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            config=Config(
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )
        # Files up to the 20 MB a bot can download go up in one PUT, streamed from disk;
        # bigger ones (self-hosted Bot API) in 8 MB parts, two at a time: bounded memory.
        self._transfer = TransferConfig(
            multipart_threshold=24 * 1024 * 1024,
            multipart_chunksize=8 * 1024 * 1024,
            max_concurrency=2,
        )

    def __repr__(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"<S3Store s3://{self.bucket}{where}>"

    def describe(self) -> str:
        return f"S3 bucket {self.bucket!r}" + (
            f" at {self.endpoint_url}" if self.endpoint_url else ""
        )

    @contextlib.contextmanager
    def _errors(self, action: str, key: str = "") -> Iterator[None]:
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as err:
            code = _error_code(err)
            if code in ("404", "NoSuchKey", "NotFound") and key:
                raise ObjectMissing("That file is missing from storage.") from err
            raise StorageUnavailable(f"{action} {key or self.bucket}: S3 said {code}") from err
        except (BotoCoreError, Boto3Error) as err:
            raise StorageUnavailable(f"{action} {key or self.bucket}: {err}") from err

    def put(self, key: str, source: Source, content_type: str) -> None:
        extra = {"ContentType": content_type, "ServerSideEncryption": "AES256"}
        with self._errors("upload", check_key(key)):
            if isinstance(source, str | os.PathLike):
                if os.stat(source).st_size < self._transfer.multipart_threshold:
                    # One PUT streamed from the open file, in the calling thread: the transfer
                    # manager would start a pool of threads for a single request.
                    with open(source, "rb") as body:
                        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, **extra)
                    return
                self.client.upload_file(
                    os.fspath(source), self.bucket, key, ExtraArgs=extra, Config=self._transfer
                )
            else:
                self.client.upload_fileobj(
                    source, self.bucket, key, ExtraArgs=extra, Config=self._transfer
                )

    def get(self, key: str, dest: BinaryIO) -> None:
        with self._errors("download", check_key(key)):
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
            try:
                for chunk in body.iter_chunks(_CHUNK):
                    dest.write(chunk)
            finally:
                body.close()

    def delete(self, key: str) -> None:
        with self._errors("delete", check_key(key)):
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def exists(self, key: str) -> bool:
        try:
            with self._errors("look up", check_key(key)):
                self.client.head_object(Bucket=self.bucket, Key=key)
        except ObjectMissing:
            return False
        return True

    def check(self) -> tuple[bool, str]:
        from botocore.exceptions import BotoCoreError, ClientError

        where = self.describe()
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as err:
            code = _error_code(err)
            reason = {
                "404": "doesn't exist (check S3_BUCKET)",
                "NoSuchBucket": "doesn't exist (check S3_BUCKET)",
                "403": "refuses these credentials (check the AWS keys and the bucket policy)",
            }.get(code, f"answered {code or 'an error'}")
            return False, f"{where} {reason}"
        except BotoCoreError as err:
            return False, f"can't check {where}: {err}"
        probe = "crm/.doctor-probe"
        try:
            self.put(probe, io.BytesIO(b"ok"), "text/plain")
            self.delete(probe)
        except StorageUnavailable as err:
            return False, f"{where} is reachable but refuses writes: {err.detail}"
        return True, f"{where} is reachable and writable"


def _error_code(err: Any) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


# ------------------------------------------------------------------------------- local


class LocalStore:
    """A folder on this machine (``FILE_STORAGE_DIR``). Keys are relative paths under it; a key
    can never reach outside it. Writes go to a temporary file first and are renamed into place,
    so a reader never sees half a file."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"<LocalStore {self.root}>"

    def describe(self) -> str:
        return f"the local folder {self.root}"

    def path_of(self, key: str) -> Path:
        """The file a key is stored in (checked to be inside the folder)."""
        root = self.root.resolve()
        path = (root / check_key(key)).resolve()
        if not path.is_relative_to(root) or path == root:
            raise ValueError(f"bad storage key {key!r}")
        return path

    def put(self, key: str, source: Source, content_type: str) -> None:
        path = self.path_of(key)
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
            with os.fdopen(fd, "wb") as out:
                if isinstance(source, str | os.PathLike):
                    with open(source, "rb") as src:
                        shutil.copyfileobj(src, out)
                else:
                    shutil.copyfileobj(source, out)
            os.replace(tmp, path)
            tmp = None
        except OSError as err:
            raise StorageUnavailable(f"write {key} in {self.root}: {err}") from err
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def get(self, key: str, dest: BinaryIO) -> None:
        path = self.path_of(key)
        try:
            with open(path, "rb") as src:
                shutil.copyfileobj(src, dest)
        except FileNotFoundError as err:
            raise ObjectMissing("That file is missing from storage.") from err
        except OSError as err:
            raise StorageUnavailable(f"read {key} in {self.root}: {err}") from err

    def delete(self, key: str) -> None:
        path = self.path_of(key)
        try:
            path.unlink(missing_ok=True)
        except OSError as err:
            raise StorageUnavailable(f"delete {key} in {self.root}: {err}") from err

    def exists(self, key: str) -> bool:
        return self.path_of(key).is_file()

    def check(self) -> tuple[bool, str]:
        folder = self.root
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".crm-doctor-") as probe:
                probe.write(b"ok")
                probe.flush()
        except OSError as err:
            return (
                False,
                f"the local folder {folder} (FILE_STORAGE_DIR) isn't writable: "
                f"{err.strerror or err}",
            )
        return True, f"the local folder {folder.resolve()} is writable"


def make_store(settings: Settings) -> S3Store | LocalStore:
    """S3 when ``S3_BUCKET`` is set, else the local folder ``FILE_STORAGE_DIR``."""
    if settings.s3_bucket:
        return S3Store(settings.s3_bucket, endpoint_url=settings.s3_endpoint_url)
    return LocalStore(settings.file_storage_dir)


_KEY_SHAPE = re.compile(r"crm/contact_\d+/\d{8}T\d{12}Z_[^/\\]+")


def is_crm_key(key: str) -> bool:
    """Whether ``key`` has the shape of the keys the CRM writes (used by tests and checks)."""
    return bool(_KEY_SHAPE.fullmatch(key))
