"""Quotas: live counts of valid responses per cell; a full cell closes open links politely, invitations still work."""

from __future__ import annotations

import re

from tests.api.conftest import ADMIN, submission


def varied(client, registry, shift=0, **changes) -> dict:
    """A valid response whose scale answers differ from item to item (no straight line, no flag)."""
    body = submission(client, registry, **changes)
    answers = dict(body["answers"])
    scale = [k for k, v in answers.items() if type(v) is int]
    for i, code in enumerate(scale):
        answers[code] = 5 + (i + shift) % 5
    return body | {"answers": answers}


def set_quota(client, **cell) -> dict:
    answer = client.put("/api/quotas", headers=ADMIN, json={"campaign": "wave-1"} | cell)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_quota_counts_valid_responses_of_its_cell(client, registry):
    enterprise = registry["enterprise"]["id"]
    quota = set_quota(client, enterprise=enterprise, target=5)
    city = set_quota(client, industry="automobile", city="440300", target=3)
    assert (quota["valid"], quota["full"]) == (0, False)
    assert client.post("/api/responses", json=varied(client, registry)).status_code == 201
    assert client.post("/api/responses", json=varied(client, registry, test=True)).status_code == 201  # test: no count
    progress = {q["id"]: q for q in client.get("/api/quotas", params={"campaign": "wave-1"}, headers=ADMIN).json()}
    assert progress[quota["id"]]["valid"] == 1 and progress[city["id"]]["valid"] == 0
    assert set_quota(client, enterprise=enterprise, target=7)["id"] == quota["id"]  # same cell: target replaced


def test_a_full_quota_closes_open_links_politely_and_invitations_still_work(client, registry):
    enterprise = registry["enterprise"]["id"]
    set_quota(client, industry="automobile", enterprise=enterprise, target=2)
    for shift in range(2):
        assert client.post("/api/responses", json=varied(client, registry, shift)).status_code == 201
    closed = client.post("/api/responses", json=varied(client, registry, 2))
    assert closed.status_code == 409 and "quota" in closed.json()["detail"]
    page = client.get("/s/automobile", params={"campaign": "wave-1", "enterprise": enterprise, "lang": "en"})
    assert page.status_code == 200 and "Thank you" in page.text and "<form" not in page.text
    issued = client.post("/api/invitations", headers=ADMIN, json={"campaign": "wave-1", "enterprise": enterprise,
                                                                  "count": 1}).json()
    token = issued["links"][0]["token"]
    assert client.post("/api/responses", json=varied(client, registry, 3, invitation=token)).status_code == 201
    progress = client.get("/api/quotas", params={"campaign": "wave-1"}, headers=ADMIN).json()
    assert [(q["valid"], q["target"], q["full"]) for q in progress] == [(3, 2, True)]


def test_a_cell_with_a_city_is_checked_when_the_form_is_sent(client, registry):
    set_quota(client, city="440100", target=1)
    assert client.post("/api/responses", json=varied(client, registry)).status_code == 201
    page = client.get("/s/automobile", params={"campaign": "wave-1", "enterprise": registry["enterprise"]["id"]})
    assert page.status_code == 200 and "<form" in page.text  # the city is asked in the form
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    answers = varied(client, registry, 1)["answers"]
    fields = {k: ("yes" if v is True else str(v)) for k, v in answers.items()} | hidden | {"lang": "en"}
    sent = client.post("/s/automobile", data=fields, follow_redirects=False)
    assert sent.status_code == 409 and "Thank you" in sent.text


def test_flagged_responses_do_not_fill_a_quota(client, registry):
    set_quota(client, enterprise=registry["enterprise"]["id"], target=1)
    straight = submission(client, registry)  # 8 on every scale item: straight-lining, flagged on arrival
    assert client.post("/api/responses", json=straight).status_code == 201
    assert client.post("/api/responses", json=varied(client, registry)).status_code == 201
    assert client.post("/api/responses", json=varied(client, registry, 1)).status_code == 409


def test_quota_input_errors_name_the_field(client, registry):
    for cell, field in [({"industry": "computer"}, "industry"), ({"city": "110000"}, "city"),
                        ({"enterprise": 999}, "enterprise"), ({"campaign": "nope"}, "campaign"),
                        ({"industry": "e_commerce", "enterprise": registry["enterprise"]["id"]}, "enterprise"),
                        ({"target": 0}, "target")]:
        answer = client.put("/api/quotas", headers=ADMIN, json={"campaign": "wave-1", "target": 5} | cell)
        assert answer.status_code == 422 and field in answer.json()["errors"][0]["field"], (cell, answer.text)
    assert client.put("/api/quotas", json={"campaign": "wave-1", "target": 5}).status_code == 401
    assert client.get("/api/quotas", params={"campaign": "nope"}, headers=ADMIN).status_code == 404


def test_the_progress_page_shows_quotas_flags_and_batches(client, registry):
    set_quota(client, enterprise=registry["enterprise"]["id"], target=4)
    assert client.post("/api/responses", json=varied(client, registry)).status_code == 201
    assert client.post("/api/responses", json=submission(client, registry)).status_code == 201  # straight-lining
    page = client.get("/admin/progress", params={"campaign": "wave-1"}, headers=ADMIN)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "1 / 4" in page.text and "straight_lining" in page.text and 'name="viewport"' in page.text
    assert "<script" not in page.text and "http" not in page.text.replace("http-equiv", "")
    assert client.get("/admin/progress", params={"campaign": "wave-1"}).status_code == 401
    assert client.get("/admin/progress", params={"campaign": "nope"}, headers=ADMIN).status_code == 404
    quota = client.get("/api/quotas", params={"campaign": "wave-1"}, headers=ADMIN).json()[0]
    assert client.delete(f"/api/quotas/{quota['id']}", headers=ADMIN).status_code == 204
    assert client.get("/api/quotas", params={"campaign": "wave-1"}, headers=ADMIN).json() == []
