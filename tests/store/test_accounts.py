import datetime as dt

import pytest
from argon2 import PasswordHasher, profiles

from survey.accounts import AccountCreate, AccountUpdate, OrganisationCreate
from survey.errors import Conflict, InvalidInput, NotFound
from survey.store import accounts

CHEAP = PasswordHasher.from_parameters(profiles.CHEAPEST)
PASSWORD = "correct horse battery"
HOUR = dt.timedelta(hours=1)


def account(username: str, role: str = "admin", organisation_id: int | None = None) -> AccountCreate:
    return AccountCreate(username=username, password=PASSWORD, role=role, display_name=username,
                         organisation_id=organisation_id)


def test_accounts_keep_only_an_argon2_hash_and_sign_in_with_the_password(db):
    created = accounts.create_account(db, account("wang"), hasher=CHEAP)
    assert accounts.get_account(db, created.id) == created
    assert accounts.authenticate(db, "wang", PASSWORD) == created
    assert accounts.authenticate(db, "wang", PASSWORD + "!") is None
    assert accounts.authenticate(db, "nobody", PASSWORD) is None
    with db.read() as session:
        from survey.store.tables import AccountRow

        stored = session.get(AccountRow, created.id).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_usernames_are_unique_and_roles_need_their_organisation(db):
    accounts.create_account(db, account("wang"), hasher=CHEAP)
    with pytest.raises(Conflict, match="taken"):
        accounts.create_account(db, account("wang"), hasher=CHEAP)
    with pytest.raises(InvalidInput) as caught:
        accounts.create_account(db, account("li", role="evaluator"), hasher=CHEAP)
    assert caught.value.errors[0].field == "organisation_id"
    with pytest.raises(InvalidInput, match="no organisation 7"):
        accounts.create_account(db, account("li", role="evaluator", organisation_id=7), hasher=CHEAP)
    org = accounts.create_organisation(db, OrganisationCreate(code="gd-eval", name="广东测评中心"))
    with pytest.raises(InvalidInput, match="belongs to no organisation"):
        accounts.create_account(db, account("zhao", organisation_id=org.id), hasher=CHEAP)
    evaluator = accounts.create_account(db, account("li", role="evaluator", organisation_id=org.id), hasher=CHEAP)
    assert accounts.list_accounts(db, organisation_id=org.id) == ([evaluator], 1)
    assert accounts.count_admins(db) == 1
    with pytest.raises(Conflict):
        accounts.create_organisation(db, OrganisationCreate(code="gd-eval", name="again"))


def test_credentials_expire_and_are_told_apart_by_kind(db):
    created = accounts.create_account(db, account("wang"), hasher=CHEAP)
    token, csrf, expires = accounts.issue_credential(db, created.id, "token", HOUR)
    assert csrf is None
    caller = accounts.resolve_credential(db, token, "token")
    assert caller.account == created and caller.via == "token" and caller.expires_at == expires
    assert accounts.resolve_credential(db, token, "session") is None  # a token is not a session cookie
    assert accounts.resolve_credential(db, token, "token", now=expires) is None
    assert accounts.resolve_credential(db, token + "x", "token") is None
    old, _, _ = accounts.issue_credential(db, created.id, "token", HOUR, now=dt.datetime.now(dt.UTC) - 2 * HOUR)
    assert accounts.resolve_credential(db, old, "token") is None
    session, csrf, _ = accounts.issue_credential(db, created.id, "session", HOUR)
    assert len(csrf) >= 40 and accounts.resolve_credential(db, session, "session").csrf == csrf
    accounts.revoke_credential(db, session)
    assert accounts.resolve_credential(db, session, "session") is None


def test_a_new_password_or_disabling_ends_every_credential(db):
    created = accounts.create_account(db, account("wang"), hasher=CHEAP)
    token, _, _ = accounts.issue_credential(db, created.id, "token", HOUR)
    accounts.update_account(db, created.id, AccountUpdate(password="another long one"), hasher=CHEAP)
    assert accounts.resolve_credential(db, token, "token") is None
    assert accounts.authenticate(db, "wang", "another long one") is not None
    token, _, _ = accounts.issue_credential(db, created.id, "token", HOUR)
    disabled = accounts.update_account(db, created.id, AccountUpdate(active=False))
    assert not disabled.active and accounts.count_admins(db) == 0
    assert accounts.resolve_credential(db, token, "token") is None
    assert accounts.authenticate(db, "wang", "another long one") is None
    with pytest.raises(NotFound):
        accounts.update_account(db, 99, AccountUpdate(active=True))
