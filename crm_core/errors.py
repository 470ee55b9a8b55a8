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


class NotFound(CRMError):
    """The thing asked for does not exist (or is in the trash)."""


class Conflict(CRMError):
    """The change clashes with what is already there."""
