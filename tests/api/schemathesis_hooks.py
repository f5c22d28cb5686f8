"""schemathesis hooks for tests/api/test_schemathesis.py (loaded with SCHEMATHESIS_HOOKS): every case is sent with a
token of the role under test (none for the anonymous run). The token is kept until an answer is 401: then a new one is
fetched, and the account restored first when a case disabled it or changed its password (PATCH /api/accounts/{id} is
among the operations under test, and signs the account out everywhere). A new token per case would spend most of the
run in argon2."""

from __future__ import annotations

import os

import httpx
import schemathesis

from survey.accounts import AccountUpdate
from survey.store import accounts
from survey.store.engine import Database, make_engine

BASE_URL = os.environ.get("SCHEMATHESIS_SURVEY_BASE_URL", "")
DATABASE_URL = os.environ.get("SCHEMATHESIS_SURVEY_DATABASE_URL", "")
USERNAME = os.environ.get("SCHEMATHESIS_SURVEY_USERNAME", "")  # empty: the anonymous run, no token at all
PASSWORD = os.environ.get("SCHEMATHESIS_SURVEY_PASSWORD", "")


def _token() -> str | None:
    answer = httpx.post(f"{BASE_URL}/api/tokens", json={"username": USERNAME, "password": PASSWORD}, timeout=30)
    return answer.json()["token"] if answer.status_code == 201 else None


@schemathesis.auth(refresh_interval=3600, retry_on=[401])
class AdministratorToken:
    def get(self, case, context) -> str:
        if not USERNAME:
            return ""
        token = _token()
        if token is None:
            db = Database(make_engine(DATABASE_URL))
            try:
                account = next(a for a in accounts.list_accounts(db, 0, 200)[0] if a.username == USERNAME)
                accounts.update_account(db, account.id, AccountUpdate(active=True, password=PASSWORD))
            finally:
                db.dispose()
            token = _token()
        return token or ""

    def set(self, case, data: str, context) -> None:
        if not data:
            return
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
