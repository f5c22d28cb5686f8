"""Hardening that every answer shows: Host names, CORS, security headers, rate limits, no internals in errors and
no server-owned fields from a body."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from survey.api import create_app
from survey.settings import Settings
from tests.api.conftest import ADMIN, PASSWORD, USCC, add_account, make_settings, submission


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/survey.db"


def test_every_answer_carries_the_security_headers(client):
    for path in ("/", "/api/instruments", "/no/such/page", "/login"):
        answer = client.get(path)
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy, path
        assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in answer.headers  # plain http here


def test_strict_transport_security_only_over_https(sqlite_url, tmp_path):
    app = create_app(make_settings(sqlite_url, tmp_path), migrate=True)
    with TestClient(app, base_url="https://testserver.local") as client:
        assert client.get("/api/industries").headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example", "localhost.evil.example:8000"])
def test_a_host_not_allowed_is_refused(sqlite_url, tmp_path, host):
    app = create_app(Settings(database_url=sqlite_url, secret_key="s" * 32, data_dir=str(tmp_path)), migrate=True)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        assert client.get("/api/industries").status_code == 200  # the default: 127.0.0.1 and localhost
        assert client.get("/api/industries", headers={"Host": "localhost:8000"}).status_code == 200
        refused = client.get("/api/industries", headers={"Host": host})
        assert refused.status_code == 400 and "SURVEY_ALLOWED_HOSTS" in refused.json()["detail"]


def test_named_hosts_and_subdomains_are_served(sqlite_url, tmp_path):
    app = create_app(make_settings(sqlite_url, tmp_path, allowed_hosts="survey.example.cn,*.gov.example"), migrate=True)
    with TestClient(app, base_url="http://survey.example.cn") as client:
        assert client.get("/api/industries").status_code == 200
        assert client.get("/api/industries", headers={"Host": "a.gov.example"}).status_code == 200
        assert client.get("/api/industries", headers={"Host": "gov.example.evil"}).status_code == 400


def test_no_cross_origin_calls_unless_the_origin_is_named(sqlite_url, tmp_path):
    with TestClient(create_app(make_settings(sqlite_url, tmp_path), migrate=True)) as client:
        answer = client.get("/api/industries", headers={"Origin": "https://other.example"})
        assert "access-control-allow-origin" not in answer.headers
    app = create_app(make_settings(sqlite_url, tmp_path, cors_origins="https://portal.example.cn"), migrate=True)
    with TestClient(app) as client:
        named = client.get("/api/industries", headers={"Origin": "https://portal.example.cn"})
        assert named.headers["access-control-allow-origin"] == "https://portal.example.cn"
        other = client.get("/api/industries", headers={"Origin": "https://other.example"})
        assert "access-control-allow-origin" not in other.headers
        assert "access-control-allow-credentials" not in named.headers
        asks = {"Access-Control-Request-Method": "POST"}
        refused = client.options("/api/responses", headers={"Origin": "https://other.example", **asks})
        assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
        allowed = client.options("/api/responses", headers={"Origin": "https://portal.example.cn", **asks})
        assert allowed.status_code == 204
        assert allowed.headers["access-control-allow-origin"] == "https://portal.example.cn"


def test_submissions_beyond_the_rate_limit_are_refused_with_retry_after(database_url, tmp_path):
    app = create_app(make_settings(database_url, tmp_path, submit_rate_per_minute=3), migrate=True)
    with TestClient(app) as client:
        add_account(database_url, "admin", "admin")
        from tests.api.conftest import bearer

        ADMIN.clear()
        ADMIN.update(bearer(client, "admin"))
        registry = _registry(client)
        bodies = [submission(client, registry) for _ in range(4)]
        codes = [client.post("/api/responses", json=body).status_code for body in bodies[:3]]
        refused = client.post("/api/responses", json=bodies[3])
        assert codes == [201, 201, 201]
        assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
        assert client.get(f"/api/responses/{bodies[3]['id']}", headers=ADMIN).status_code == 404  # nothing stored
    ADMIN.clear()


def test_sign_in_attempts_beyond_the_rate_limit_are_refused(sqlite_url, tmp_path):
    app = create_app(make_settings(sqlite_url, tmp_path, login_rate_per_minute=3), migrate=True)
    with TestClient(app) as client:
        add_account(sqlite_url, "admin", "admin")
        codes = [client.post("/api/tokens", json={"username": "admin", "password": "wrong one!"}).status_code
                 for _ in range(3)]
        refused = client.post("/api/tokens", json={"username": "admin", "password": PASSWORD})
        assert codes == [401, 401, 401]
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


@pytest.mark.parametrize("error", ["runtime", "sql"])
def test_an_internal_error_shows_no_stack_trace_and_no_sql(client, registry, monkeypatch, error):
    from sqlalchemy.exc import ProgrammingError

    async def broken(*_, **__):
        if error == "sql":
            raise ProgrammingError("SELECT password_hash FROM account WHERE id = 1", {}, Exception("relation xyz"))
        raise RuntimeError("secret internal detail in /work/main/survey/store/responses.py")

    monkeypatch.setattr("survey.api.responses.submit_response_async", broken)
    answer = client.post("/api/responses", json=submission(client, registry))
    assert answer.status_code == 500
    assert answer.json() == {"status_code": 500, "detail": "internal error; it has been logged"}
    for leak in ("Traceback", "SELECT", "password_hash", "secret internal", ".py", "relation"):
        assert leak not in answer.text


@pytest.mark.parametrize(("field", "value"), [
    ("received_at", "2026-01-01T00:00:00+00:00"), ("channel", "web"), ("content_sha256", "0" * 64),
])
def test_server_owned_fields_of_a_response_cannot_come_from_the_body(client, registry, field, value):
    answer = client.post("/api/responses", json=submission(client, registry, **{field: value}))
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == [field]


@pytest.mark.parametrize(("field", "value"), [("id", 77), ("created_at", "2026-01-01T00:00:00Z")])
def test_server_owned_fields_of_an_enterprise_cannot_come_from_the_body(client, field, value):
    body = {"uscc": USCC, "name": "示例企业", "industry": "automobile", "city": "440100", field: value}
    answer = client.post("/api/enterprises", headers=ADMIN, json=body)
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == [field]
    assert client.get("/api/enterprises").json()["total"] == 0


def test_an_account_cannot_be_made_active_or_given_an_id_by_its_creator(client):
    body = {"username": "li.e", "password": "a long password", "role": "admin", "display_name": "Li", "id": 1}
    answer = client.post("/api/accounts", headers=ADMIN, json=body)
    assert answer.status_code == 422 and [e["field"] for e in answer.json()["errors"]] == ["id"]


def test_a_body_over_the_route_limit_is_refused_before_it_is_read(client):
    answer = client.post("/api/tokens", content=b'{"username": "' + b"a" * 4096 + b'"}',
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    big = client.post("/api/responses", content=b"[" + b"1," * 20_000 + b"1]", headers={"Content-Type": "application/json"})
    assert big.status_code == 413


def _registry(client) -> dict:
    import datetime as dt

    today = dt.date.today()
    campaign = client.post("/api/campaigns", headers=ADMIN, json={
        "code": "wave-1", "title_zh": "第一期", "title_en": "Wave 1", "industries": ["automobile"],
        "opens_on": str(today - dt.timedelta(days=30)), "closes_on": str(today + dt.timedelta(days=30)),
        "status": "open"}).json()
    enterprise = client.post("/api/enterprises", headers=ADMIN, json={
        "uscc": USCC, "name": "示例汽车服务有限公司", "industry": "automobile", "city": "440100"}).json()
    outlet = client.post("/api/outlets", headers=ADMIN, json={
        "enterprise_id": enterprise["id"], "name": "天河站", "city": "440100", "address": "天河路1号"}).json()
    return {"campaign": campaign, "enterprise": enterprise, "outlet": outlet}


@pytest.mark.parametrize("path", ["/api/campaigns/371327692005056733773824", "/api/enterprises/9223372036854775808",
                                  "/api/accounts/99999999999999999999"])
def test_an_id_no_table_can_hold_is_a_422_naming_it_not_an_overflow(client, path):
    """schemathesis found GET /api/campaigns/<25 digits> answered 500: the SQLite driver cannot bind such an int."""
    answer = client.get(path, headers=ADMIN)
    assert answer.status_code == 422, answer.text
    field = {"campaigns": "campaign_id", "enterprises": "enterprise_id", "accounts": "account_id"}[path.split("/")[2]]
    assert answer.json()["errors"][0]["field"] == field
