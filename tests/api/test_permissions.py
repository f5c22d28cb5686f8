"""Who may reach what: every id route x every role x another evaluator's objects is denied, and every route that
changes something either names the roles it lets in or is declared public on purpose."""

import datetime as dt
import hashlib

import pytest
from litestar.testing import TestClient

from tests.api.conftest import ADMIN
from tests.api.test_audits import JPEG, field, send  # noqa: F401 - field is the fixture of the field work
from tests.audits.builders import audit_body

# Routes anyone may call on purpose. A new one is declared with opt={"public": True} on its handler.
PUBLIC_BEFORE_ACCOUNTS = {("POST", "/api/responses"), ("POST", "/s/{industry:str}")}


@pytest.fixture
def owned(client: TestClient, field: dict) -> dict:
    """li's assignment, audit, photo and account: the objects everyone else is refused."""
    li = field["tokens"]["li"]
    photo = client.post("/api/photos", headers=li | {"content-type": "image/jpeg"}, content=JPEG).json()["sha256"]
    body = audit_body(field["assignment"])
    body["items"]["a05"]["photos"] = [photo]
    assert send(client, li, body)["results"][0]["outcome"] == "stored"
    return {"assignment": field["assignment"]["id"], "audit": body["id"], "photo": photo, "account": field["ids"]["li"],
            "body": body}


def id_routes(owned: dict) -> list[tuple[str, str, dict | None]]:
    review = {"decision": "approved", "reason": "ok", "version": 1}
    return [
        ("GET", f"/api/assignments/{owned['assignment']}", None),
        ("PATCH", f"/api/assignments/{owned['assignment']}", {"closes_on": str(dt.date.today() + dt.timedelta(days=6))}),
        ("GET", f"/api/audits/{owned['audit']}", None),
        ("POST", f"/api/audits/{owned['audit']}/review", review),
        ("GET", f"/api/photos/{owned['photo']}", None),
        ("GET", f"/api/accounts/{owned['account']}", None),
        ("PATCH", f"/api/accounts/{owned['account']}", {"active": False}),
    ]


# Templates of the routes above, so that a new id route must join this matrix (the checklists are shared reading).
COVERED = {"/api/assignments/{assignment_id:int}", "/api/audits/{audit_id:uuid}", "/api/audits/{audit_id:uuid}/review",
           "/api/photos/{sha256:str}", "/api/accounts/{account_id:int}"}


@pytest.mark.parametrize("who", ["anonymous", "wu", "zhao", "stranger"])
def test_nobody_else_reaches_an_evaluators_objects(client, field, owned, who):
    headers = {} if who == "anonymous" else field["tokens"][who]
    for method, path, body in id_routes(owned):
        answer = client.request(method, path, headers=headers, json=body)
        assert answer.status_code in (401, 403, 404), (who, method, path, answer.status_code)
        leaked = [word for word in ('"items"', '"outlet_name"', '"username"', "JFIF") if word in answer.text]
        assert leaked == [], (who, method, path, leaked)
    # nor through the lists or the batch
    if who != "anonymous":
        for path in ("/api/assignments", "/api/audits"):
            assert client.get(path, headers=headers).json()["total"] == 0, (who, path)
    if who in ("wu", "zhao"):
        edit = send(client, headers, owned["body"] | {"replaces": 1, "notes": "hijacked"})["results"][0]
        assert edit["outcome"] == "conflict" and "already in use" in edit["errors"][0]["reason"]
        other = send(client, headers, audit_body({"id": owned["assignment"], "checklist": "audit_automobile",
                                                   "checklist_version": 1}))["results"][0]
        assert other["outcome"] == "rejected" and other["errors"][0]["field"] == "assignment"
    assert client.get(f"/api/audits/{owned['audit']}", headers=field["tokens"]["li"]).json()["notes"] == ""


def test_the_owner_their_organisation_and_administrators_reach_them(client, field, owned):
    for who in ("li", "manager"):
        headers = field["tokens"][who]
        for method, path, _ in id_routes(owned):
            if method == "GET" and not (who == "li" and "/accounts/" in path):  # an evaluator reads /api/accounts/me
                assert client.get(path, headers=headers).status_code == 200, (who, path)
    for method, path, body in id_routes(owned):
        assert client.request(method, path, headers=ADMIN, json=body).status_code == 200, path
    assert hashlib.sha256(client.get(f"/api/photos/{owned['photo']}", headers=ADMIN).content).hexdigest() == owned["photo"]


def test_every_id_route_of_accounts_and_audits_is_in_the_matrix(client):
    templates = {route.path for route in client.app.routes}
    ours = {t for t in templates if "{" in t and t.split("/")[2] in ("assignments", "audits", "photos", "accounts")}
    assert ours == COVERED


def test_every_route_that_changes_something_names_its_roles_or_is_public(client):
    unguarded = []
    for route in client.app.routes:
        for handler in getattr(route, "route_handlers", []):
            methods = set(handler.http_methods) - {"GET", "HEAD", "OPTIONS"}
            for method in methods:
                public = handler.opt.get("public") or (method, route.path) in PUBLIC_BEFORE_ACCOUNTS
                if not handler.resolve_guards() and not public:
                    unguarded.append(f"{method} {route.path}")
    assert unguarded == [], "give these guards (survey.api.auth.requires) or opt={'public': True}"
