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


class InvitationUsed(Conflict):
    """An invitation token that already accepted another completed response."""


class QuotaFull(Conflict):
    """The quota of the response's cell is reached; open links take no more responses there."""


class NotFound(Exception):
    """No such object."""


class Unavailable(Exception):
    """The database cannot be reached or is busy; nothing was stored, the client may retry."""


class RateLimited(Exception):
    """Too many requests of one kind from one client (or for one account) in the current window."""

    def __init__(self, what: str, retry_after: int) -> None:
        super().__init__(f"too many {what} requests; try again in {retry_after} s")
        self.retry_after = retry_after
