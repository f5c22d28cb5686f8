"""An app on each database kind, with one open campaign, one enterprise and one outlet registered."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles
from litestar.testing import TestClient

from survey.accounts import AccountCreate
from survey.api import create_app
from survey.instruments.spec import ChoiceItem, CityItem, ConsentItem, Instrument, ScaleItem
from survey.settings import Settings
from survey.store import accounts
from survey.store.engine import Database, make_engine

# The headers of the administrator of the current `client` (that fixture signs in and fills them in), so that a
# test can say headers=ADMIN. Accounts made here use argon2's cheapest parameters: hashing is slow on purpose.
ADMIN: dict[str, str] = {}
USCC = "91350100M000100Y43"
CHEAP = PasswordHasher.from_parameters(profiles.CHEAPEST)
PASSWORD = "correct horse battery"


def make_settings(database_url: str, tmp_path: Path, **changes) -> Settings:
    values = {"secret_key": "s" * 32, "data_dir": str(tmp_path / "data"), "cookie_secure": False,
              "allowed_hosts": "testserver.local,127.0.0.1,localhost"} | changes  # the TestClient's and a server's
    return Settings(database_url=database_url, **values)


def add_account(database_url: str, username: str, role: str, organisation_id: int | None = None) -> int:
    """An account with PASSWORD, stored directly (as `survey users create-admin` does)."""
    db = Database(make_engine(database_url))
    try:
        data = AccountCreate(username=username, password=PASSWORD, role=role, display_name=username.title(),
                             organisation_id=organisation_id)
        return accounts.create_account(db, data, hasher=CHEAP).id
    finally:
        db.dispose()


def bearer(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    answer = client.post("/api/tokens", json={"username": username, "password": password})
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


@contextmanager
def admin_client(database_url: str, tmp_path: Path, **changes) -> Iterator[TestClient]:
    """A client of the app with these settings changed, its administrator signed in (ADMIN holds the headers)."""
    with TestClient(create_app(make_settings(database_url, tmp_path, **changes), migrate=True)) as client:
        add_account(database_url, "admin", "admin")
        ADMIN.clear()
        ADMIN.update(bearer(client, "admin"))
        yield client
    ADMIN.clear()


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    with admin_client(database_url, tmp_path) as client:
        yield client


@pytest.fixture
def registry(client: TestClient) -> dict:
    today = dt.date.today()
    campaign = client.post("/api/campaigns", headers=ADMIN, json={
        "code": "wave-1", "title_zh": "第一期", "title_en": "Wave 1", "industries": ["automobile", "e_commerce"],
        "opens_on": str(today - dt.timedelta(days=30)), "closes_on": str(today + dt.timedelta(days=30)),
        "status": "open",
    })
    assert campaign.status_code == 201, campaign.text
    enterprise = client.post("/api/enterprises", headers=ADMIN, json={
        "uscc": USCC, "name": "示例汽车服务有限公司", "industry": "automobile", "city": "440100",
    })
    assert enterprise.status_code == 201, enterprise.text
    outlet = client.post("/api/outlets", headers=ADMIN, json={
        "enterprise_id": enterprise.json()["id"], "name": "天河站", "city": "440100", "address": "天河路1号",
    })
    assert outlet.status_code == 201, outlet.text
    return {"campaign": campaign.json(), "enterprise": enterprise.json(), "outlet": outlet.json()}


def full_answers(instrument: Instrument, city: str = "440100") -> dict:
    """A complete, valid set of answers: 8 on every scale, first options, no complaint."""
    answers: dict = {}
    for item in instrument.items():
        if item.relevant is not None:
            continue
        if isinstance(item, ScaleItem):
            answers[item.code] = 8
        elif isinstance(item, ConsentItem):
            answers[item.code] = True
        elif isinstance(item, CityItem):
            answers[item.code] = city
        elif isinstance(item, ChoiceItem):
            codes = [option.code for option in item.options]
            answers[item.code] = "no" if "no" in codes else codes[0]
    return answers


def submission(client: TestClient, registry: dict, **changes) -> dict:
    instrument = client.get("/api/instruments/automobile").json()
    from msgspec import convert

    parsed = convert(instrument["instrument"], Instrument)
    now = dt.datetime.now(dt.UTC)
    body = {
        "id": str(uuid.uuid4()),
        "instrument": "automobile",
        "version": instrument["version"],
        "campaign": registry["campaign"]["code"],
        "enterprise": registry["enterprise"]["id"],
        "outlet": registry["outlet"]["id"],
        "city": "440100",
        "locale": "zh",
        "answers": full_answers(parsed),
        "started_at": (now - dt.timedelta(minutes=6)).isoformat(),
        "submitted_at": now.isoformat(),
    }
    body.update(changes)
    return body
