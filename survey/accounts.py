"""Accounts and roles: administrators, evaluation organisations and their evaluators; argon2 password hashes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from msgspec import Meta, Struct

Role = Literal["admin", "organisation", "evaluator"]
ROLES: tuple[Role, ...] = ("admin", "organisation", "evaluator")
Username = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_.-]{2,39}$", description="3-40 of a-z 0-9 _ . -")]
Password = Annotated[str, Meta(min_length=10, max_length=200, description="at least 10 characters")]
OrganisationCode = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]
DisplayName = Annotated[str, Meta(min_length=1, max_length=100)]

STANDARD_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (64 MiB, 3 passes)


class OrganisationCreate(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A third-party evaluation organisation (第三方测评机构)."""

    code: OrganisationCode
    name: Annotated[str, Meta(min_length=1, max_length=200)]


class Organisation(Struct, frozen=True, kw_only=True):
    id: int
    code: str
    name: str


class AccountCreate(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A new account; organisation and evaluator accounts belong to an organisation, administrators to none."""

    username: Username
    password: Password
    role: Role
    display_name: DisplayName
    organisation_id: Annotated[int, Meta(ge=1)] | None = None


class AccountUpdate(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    display_name: DisplayName | None = None
    password: Password | None = None
    active: bool | None = None


class Account(Struct, frozen=True, kw_only=True):
    """An account as the API shows it: never its password hash."""

    id: int
    username: str
    role: Role
    display_name: str
    organisation_id: int | None
    active: bool


class Caller(Struct, frozen=True, kw_only=True):
    """Who sent a request: the account, how it proved it, and whether an unsafe request passed the CSRF check."""

    account: Account
    via: Literal["session", "token"]
    csrf: str | None  # the session's CSRF token (None for bearer tokens, which need none)
    expires_at: dt.datetime

    @property
    def id(self) -> int:
        return self.account.id

    @property
    def role(self) -> Role:
        return self.account.role


def hash_password(password: str, hasher: PasswordHasher = STANDARD_HASHER) -> str:
    return hasher.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    """Whether `password` matches the argon2 hash (whose own parameters are used); never raises for a mismatch."""
    try:
        return STANDARD_HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def role_problem(role: Role, organisation_id: int | None) -> str | None:
    """Why this role and organisation do not go together, or None."""
    if role == "admin" and organisation_id is not None:
        return "an administrator belongs to no organisation"
    if role != "admin" and organisation_id is None:
        return f"an account of role {role} needs organisation_id"
    return None
