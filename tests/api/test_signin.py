import re

import pytest
from litestar.testing import TestClient

from survey.api import create_app
from survey.store import accounts
from survey.store.engine import Database, make_engine
from tests.api.conftest import PASSWORD, make_settings


def login_form(client: TestClient, next_path: str = "") -> str:
    page = client.get("/login", params={"next": next_path} if next_path else None)
    assert page.status_code == 200 and "登录" in page.text and "Sign in" in page.text
    return re.search(r'name="csrf" value="([^"]+)"', page.text)[1]


def sign_in(client: TestClient, username: str = "admin", password: str = PASSWORD, next_path: str = ""):
    csrf = login_form(client, next_path)
    return client.post("/login", data={"csrf": csrf, "username": username, "password": password, "next": next_path},
                       follow_redirects=False)


def session_csrf(database_url: str, client: TestClient) -> str:
    db = Database(make_engine(database_url))
    try:
        return accounts.resolve_credential(db, client.cookies["survey_session"], "session").csrf
    finally:
        db.dispose()


def test_signing_in_sets_an_httponly_samesite_session_cookie(client):
    answer = sign_in(client, next_path="/api/accounts/me")
    assert answer.status_code == 303 and answer.headers["location"] == "/api/accounts/me"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("survey_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # tests run on http
    assert client.get("/api/accounts/me").json()["username"] == "admin"


def test_the_cookie_is_secure_unless_turned_off(database_url, tmp_path):
    from tests.api.conftest import add_account

    with TestClient(create_app(make_settings(database_url, tmp_path, cookie_secure=True), migrate=True),
                    base_url="https://testserver.local") as client:
        add_account(database_url, "admin", "admin")
        answer = sign_in(client)
        cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("survey_session="))
        assert "Secure" in cookie and "HttpOnly" in cookie


@pytest.mark.parametrize("next_path", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_signing_in_never_sends_anyone_to_another_site(client, next_path):
    answer = sign_in(client, next_path=next_path)
    assert answer.status_code == 303 and answer.headers["location"] == "/admin"  # the administrator's home


def test_the_sign_in_form_needs_its_own_csrf_cookie(client):
    login_form(client)
    answer = client.post("/login", data={"csrf": "forged", "username": "admin", "password": PASSWORD})
    assert answer.status_code == 403 and "survey_session" not in client.cookies
    wrong = sign_in(client, password="not the password")
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text


def test_an_unsafe_request_with_the_session_cookie_needs_the_csrf_header(client, database_url):
    sign_in(client)
    body = {"code": "gd-eval", "name": "广东测评中心"}
    refused = client.post("/api/organisations", json=body)
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
    refused = client.post("/api/organisations", json=body, headers={"X-CSRF-Token": "guess"})
    assert refused.status_code == 403
    allowed = client.post("/api/organisations", json=body, headers={"X-CSRF-Token": session_csrf(database_url, client)})
    assert allowed.status_code == 201


def test_signing_out_needs_the_session_csrf_token_and_ends_the_session(client, database_url):
    sign_in(client)
    csrf = session_csrf(database_url, client)
    assert client.post("/logout", data={"csrf": "forged"}, follow_redirects=False).status_code == 403
    assert client.get("/api/accounts/me").status_code == 200
    session = client.cookies["survey_session"]
    answer = client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    client.cookies.set("survey_session", session)
    assert client.get("/api/accounts/me").status_code == 401
