"""Accounts, organisations and credentials (sessions and bearer tokens, stored only as hashes of their secrets)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from survey.accounts import (
    STANDARD_HASHER,
    Account,
    AccountCreate,
    AccountUpdate,
    Caller,
    Organisation,
    OrganisationCreate,
    hash_password,
    password_matches,
    role_problem,
)
from survey.errors import Conflict, FieldError, InvalidInput, NotFound
from survey.store.engine import Database
from survey.store.tables import AccountRow, CredentialRow, OrganisationRow

_DUMMY: list[str] = []  # a hash to verify against when the username is unknown, so both cost the same time


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # SQLite keeps no offset


def _account(row: AccountRow) -> Account:
    return Account(
        id=row.id, username=row.username, role=row.role, display_name=row.display_name,
        organisation_id=row.organisation_id, active=row.active,
    )


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_organisation(db: Database, data: OrganisationCreate) -> Organisation:
    try:
        with db.transaction() as session:
            row = OrganisationRow(code=data.code, name=data.name)
            session.add(row)
            session.flush()
            return Organisation(id=row.id, code=row.code, name=row.name)
    except IntegrityError:
        raise Conflict(f"organisation {data.code!r} already exists") from None


def list_organisations(db: Database, offset: int = 0, limit: int | None = None) -> list[Organisation]:
    with db.read() as session:
        rows = session.scalars(select(OrganisationRow).order_by(OrganisationRow.id).offset(offset).limit(limit))
        return [Organisation(id=row.id, code=row.code, name=row.name) for row in rows]


def create_account(db: Database, data: AccountCreate, *, hasher: PasswordHasher = STANDARD_HASHER) -> Account:
    """A new account; a taken username is a Conflict, a role without its organisation is InvalidInput."""
    problem = role_problem(data.role, data.organisation_id)
    if problem:
        raise InvalidInput([FieldError(field="organisation_id", reason=problem)])
    password_hash = hash_password(data.password, hasher)  # slow on purpose: outside the write transaction
    try:
        with db.transaction() as session:
            if data.organisation_id is not None and session.get(OrganisationRow, data.organisation_id) is None:
                raise InvalidInput([FieldError(field="organisation_id", reason=f"no organisation {data.organisation_id}")])
            row = AccountRow(
                username=data.username, role=data.role, organisation_id=data.organisation_id,
                display_name=data.display_name, password_hash=password_hash, active=True,
            )
            session.add(row)
            session.flush()
            return _account(row)
    except IntegrityError:
        raise Conflict(f"username {data.username!r} is taken") from None


def update_account(
    db: Database, account_id: int, data: AccountUpdate, *, hasher: PasswordHasher = STANDARD_HASHER
) -> Account:
    """Change the name, password or active flag; a new password or deactivation ends the account's credentials."""
    password_hash = hash_password(data.password, hasher) if data.password is not None else None
    with db.transaction() as session:
        row = session.get(AccountRow, account_id)
        if row is None:
            raise NotFound(f"account {account_id}")
        if data.display_name is not None:
            row.display_name = data.display_name
        if data.active is not None:
            row.active = data.active
        if password_hash is not None:
            row.password_hash = password_hash
        if password_hash is not None or data.active is False:
            session.execute(delete(CredentialRow).where(CredentialRow.account_id == account_id))
        session.flush()
        return _account(row)


def get_account(db: Database, account_id: int) -> Account:
    with db.read() as session:
        row = session.get(AccountRow, account_id)
        if row is None:
            raise NotFound(f"account {account_id}")
        return _account(row)


def list_accounts(
    db: Database, offset: int = 0, limit: int = 50, *, role: str | None = None, organisation_id: int | None = None
) -> tuple[list[Account], int]:
    conditions = []
    if role is not None:
        conditions.append(AccountRow.role == role)
    if organisation_id is not None:
        conditions.append(AccountRow.organisation_id == organisation_id)
    with db.read() as session:
        total = session.scalar(select(func.count()).select_from(AccountRow).where(*conditions)) or 0
        rows = session.scalars(select(AccountRow).where(*conditions).order_by(AccountRow.id).offset(offset).limit(limit))
        return [_account(row) for row in rows], total


def count_admins(db: Database) -> int:
    with db.read() as session:
        return session.scalar(
            select(func.count()).select_from(AccountRow).where(AccountRow.role == "admin", AccountRow.active)
        ) or 0


def authenticate(db: Database, username: str, password: str) -> Account | None:
    """The active account with this username and password, or None (an unknown name costs as much as a wrong password)."""
    with db.read() as session:
        row = session.scalar(select(AccountRow).where(AccountRow.username == username))
        account, stored = (None, None) if row is None else (_account(row), row.password_hash)
    if stored is None:
        if not _DUMMY:
            _DUMMY.append(hash_password(secrets.token_urlsafe(16)))
        password_matches(_DUMMY[0], password)
        return None
    if not password_matches(stored, password) or not account.active:
        return None
    return account


def issue_credential(
    db: Database, account_id: int, kind: str, lifetime: dt.timedelta, *, now: dt.datetime | None = None
) -> tuple[str, str | None, dt.datetime]:
    """A new session or bearer token: (secret for the client, CSRF token of a session or None, expiry)."""
    now = now or _now()
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32) if kind == "session" else None
    expires = now + lifetime
    with db.transaction() as session:
        session.execute(delete(CredentialRow).where(CredentialRow.expires_at < _now()))
        session.add(CredentialRow(id=_digest(secret), account_id=account_id, kind=kind, csrf=csrf,
                                  created_at=now, expires_at=expires))
    return secret, csrf, expires


def resolve_credential(db: Database, secret: str, kind: str, *, now: dt.datetime | None = None) -> Caller | None:
    """The caller holding this unexpired session or token secret of an active account, or None."""
    now = now or _now()
    with db.read() as session:
        found = session.execute(
            select(CredentialRow, AccountRow).join(AccountRow).where(CredentialRow.id == _digest(secret))
        ).first()
        if found is None:
            return None
        credential, row = found
        if credential.kind != kind or _aware(credential.expires_at) <= now or not row.active:
            return None
        return Caller(account=_account(row), via=kind, csrf=credential.csrf, expires_at=_aware(credential.expires_at))


def revoke_credential(db: Database, secret: str) -> None:
    with db.transaction() as session:
        session.execute(delete(CredentialRow).where(CredentialRow.id == _digest(secret)))
