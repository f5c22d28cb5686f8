"""Domain errors that every entry point (API, form, CLI) turns into a clear answer."""

from __future__ import annotations

from msgspec import Struct


class FieldError(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One problem with one field of an input: `field` is a path such as `answers.img1`."""

    field: str
    reason: str


class InvalidInput(Exception):
    """The input breaks one or more rules; nothing was stored."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))
        self.errors = errors


class Conflict(Exception):
    """The input contradicts what is already stored (a reused id with other content, a duplicate key)."""


class NotFound(Exception):
    """No such object."""


class Unavailable(Exception):
    """The database cannot be reached or is busy; nothing was stored, the client may retry."""
