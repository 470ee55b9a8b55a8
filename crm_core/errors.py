"""Typed errors raised by services; front ends turn them into a friendly sentence."""

from __future__ import annotations


class CRMError(Exception):
    """Base of every error the CRM raises on purpose. ``str(err)`` is fit to show a user."""


class ConfigError(CRMError):
    """A setting is missing or wrong; the message names the variable."""


class ValidationError(CRMError):
    """Input that cannot be accepted. ``field`` names what was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class NotFound(CRMError):  # noqa: N818 (the name reads better at call sites)
    """The thing asked for does not exist (or is in the trash)."""


class StorageUnavailable(CRMError):  # noqa: N818
    """File storage (S3 or the local folder) can't be reached or refused the operation.
    ``detail`` says why, for the log; ``str()`` is the sentence for a person."""

    def __init__(self, detail: str, message: str = "File storage is unavailable.") -> None:
        super().__init__(message)
        self.detail = detail


class ObjectMissing(NotFound):
    """A stored file's object is not in storage (deleted outside the CRM, or never written)."""


class DatabaseNotReady(CRMError):  # noqa: N818
    """The database can't be used yet: unreachable, or its schema missing or older than the
    code. ``str()`` is one sentence with the URL's password hidden; ``part`` is "database" or
    "migrations" (which of the two is wrong)."""

    def __init__(self, part: str, message: str) -> None:
        super().__init__(message)
        self.part = part
