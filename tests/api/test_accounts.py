import datetime as dt

import pytest

from survey.store import accounts
from survey.store.engine import Database, make_engine
from tests.api.conftest import ADMIN, PASSWORD, add_account, bearer


def test_a_token_is_issued_for_the_right_password_only(client):
    issued = client.post("/api/tokens", json={"username": "admin", "password": PASSWORD})
    assert issued.status_code == 201
    body = issued.json()
    assert body["token_type"] == "bearer" and body["account"]["role"] == "admin"
    lifetime = dt.datetime.fromisoformat(body["expires_at"]) - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=55) < lifetime <= dt.timedelta(minutes=60)
    me = client.get("/api/accounts/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json()["username"] == "admin" and "password" not in me.text
    wrong = client.post("/api/tokens", json={"username": "admin", "password": "not it at all"})
    assert wrong.status_code == 401 and "wrong username or password" in wrong.json()["detail"]
    assert client.post("/api/tokens", json={"username": "admin"}).status_code == 422


def test_an_expired_or_revoked_token_lets_nobody_in(client, database_url):
    db = Database(make_engine(database_url))
    admin_id = client.get("/api/accounts/me", headers=ADMIN).json()["id"]
    old, _, _ = accounts.issue_credential(db, admin_id, "token", dt.timedelta(minutes=60),
                                          now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=61))
    db.dispose()
    answer = client.get("/api/accounts/me", headers={"Authorization": f"Bearer {old}"})
    assert answer.status_code == 401
    fresh = bearer(client, "admin")
    assert client.delete("/api/tokens", headers=fresh).status_code == 204
    assert client.get("/api/accounts/me", headers=fresh).status_code == 401
    assert client.get("/api/accounts/me", headers=ADMIN).status_code == 200  # other tokens stand


def test_too_many_wrong_passwords_are_refused_for_a_while(client):
    for _ in range(10):
        assert client.post("/api/tokens", json={"username": "admin", "password": "guess guess"}).status_code == 401
    refused = client.post("/api/tokens", json={"username": "admin", "password": PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


def test_administrators_create_organisations_and_accounts(client):
    org = client.post("/api/organisations", headers=ADMIN, json={"code": "gd-eval", "name": "广东测评中心"})
    assert org.status_code == 201, org.text
    created = client.post("/api/accounts", headers=ADMIN, json={
        "username": "li.evaluator", "password": "a long password", "role": "evaluator", "display_name": "李",
        "organisation_id": org.json()["id"],
    })
    assert created.status_code == 201, created.text
    assert client.post("/api/tokens", json={"username": "li.evaluator", "password": "a long password"}).status_code == 201
    short = client.post("/api/accounts", headers=ADMIN, json={
        "username": "x1y", "password": "short", "role": "admin", "display_name": "X",
    })
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "password"
    taken = client.post("/api/accounts", headers=ADMIN, json={
        "username": "admin", "password": "a long password", "role": "admin", "display_name": "A",
    })
    assert taken.status_code == 409
    disabled = client.patch(f"/api/accounts/{created.json()['id']}", headers=ADMIN, json={"active": False})
    assert disabled.json()["active"] is False
    assert client.post("/api/tokens", json={"username": "li.evaluator", "password": "a long password"}).status_code == 401


def test_an_organisation_sees_its_own_accounts_only(client, database_url):
    ours = client.post("/api/organisations", headers=ADMIN, json={"code": "ours", "name": "Ours"}).json()["id"]
    theirs = client.post("/api/organisations", headers=ADMIN, json={"code": "theirs", "name": "Theirs"}).json()["id"]
    add_account(database_url, "org.ours", "organisation", ours)
    mine = add_account(database_url, "eva.ours", "evaluator", ours)
    other = add_account(database_url, "eva.theirs", "evaluator", theirs)
    org = bearer(client, "org.ours")
    listed = client.get("/api/accounts", headers=org).json()
    assert {a["username"] for a in listed["items"]} == {"org.ours", "eva.ours"}
    assert client.get(f"/api/accounts/{mine}", headers=org).status_code == 200
    assert client.get(f"/api/accounts/{other}", headers=org).status_code == 404
    assert client.get("/api/accounts", headers=ADMIN).json()["total"] == 4


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/accounts"), ("post", "/api/accounts"), ("patch", "/api/accounts/1"), ("get", "/api/organisations"),
    ("post", "/api/organisations"), ("post", "/api/campaigns"), ("post", "/api/outlets"),
])
def test_an_evaluator_cannot_manage(client, database_url, method, path):
    org = client.post("/api/organisations", headers=ADMIN, json={"code": "ours", "name": "Ours"}).json()["id"]
    add_account(database_url, "eva", "evaluator", org)
    body = {} if method == "get" else {"json": {}}
    assert getattr(client, method)(path, headers=bearer(client, "eva"), **body).status_code == 403
