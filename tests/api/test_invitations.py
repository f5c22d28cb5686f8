"""Invitations: a token opens its enterprise's questionnaire and accepts one completed response."""

from __future__ import annotations

import hashlib
import re
import uuid

from sqlalchemy import select

from survey.store.tables import InvitationRow
from tests.api.conftest import ADMIN, submission


def issue(client, registry, count=2, **changes) -> list[str]:
    body = {"campaign": registry["campaign"]["code"], "enterprise": registry["enterprise"]["id"],
            "outlet": registry["outlet"]["id"], "count": count} | changes
    answer = client.post("/api/invitations", headers=ADMIN, json=body)
    assert answer.status_code == 201, answer.text
    return [entry["token"] for entry in answer.json()["links"]]


def stored_hashes(client) -> list[str]:
    with client.app.state.context.db.read() as session:
        return list(session.scalars(select(InvitationRow.token_sha256)))


def count(client) -> int:
    from survey.store.responses import count_responses

    return count_responses(client.app.state.context.db)


def test_a_batch_shows_each_token_once_and_stores_only_its_hash(client, registry):
    answer = client.post("/api/invitations", headers=ADMIN, json={
        "campaign": "wave-1", "enterprise": registry["enterprise"]["id"], "count": 3})
    assert answer.status_code == 201, answer.text
    issued = answer.json()
    tokens = [entry["token"] for entry in issued["links"]]
    assert len(set(tokens)) == 3 and issued["batch"]["count"] == 3 and issued["batch"]["used"] == 0
    assert all(entry["link"].endswith(f"/i/{entry['token']}") for entry in issued["links"])
    assert sorted(stored_hashes(client)) == sorted(hashlib.sha256(t.encode()).hexdigest() for t in tokens)
    listed = client.get("/api/invitations", params={"campaign": "wave-1"}, headers=ADMIN).json()
    assert [(b["id"], b["count"], b["used"]) for b in listed] == [(issued["batch"]["id"], 3, 0)]


def test_issuing_needs_an_administrator_and_valid_targets(client, registry):
    body = {"campaign": "wave-1", "enterprise": registry["enterprise"]["id"], "count": 2}
    assert client.post("/api/invitations", json=body).status_code == 401
    for change, field in [({"campaign": "no-such"}, "campaign"), ({"enterprise": 999}, "enterprise"),
                          ({"outlet": 999}, "outlet"), ({"count": 0}, "count"), ({"count": 5001}, "count")]:
        answer = client.post("/api/invitations", headers=ADMIN, json=body | change)
        assert answer.status_code == 422, (change, answer.text)
        assert any(field in e["field"] for e in answer.json()["errors"]), answer.json()
    assert stored_hashes(client) == []


def test_a_token_accepts_one_response_and_a_resend_stays_idempotent(client, registry):
    token = issue(client, registry)[0]
    body = submission(client, registry, invitation=token)
    assert client.post("/api/responses", json=body).status_code == 201
    again = client.post("/api/responses", json=body)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    other = client.post("/api/responses", json=submission(client, registry, invitation=token))
    assert other.status_code == 409
    assert "used" in other.json()["detail"]
    assert count(client) == 1
    assert client.get(f"/api/invitations/{token}").json()["used"] is True


def test_a_wrong_token_is_not_found_and_a_foreign_one_is_refused(client, registry):
    assert client.get("/api/invitations/" + "x" * 22).status_code == 404
    assert client.get("/i/" + "x" * 22).status_code == 404
    unknown = client.post("/api/responses", json=submission(client, registry, invitation="y" * 22))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "invitation"
    token = issue(client, registry, outlet=None)[0]
    elsewhere = client.post("/api/responses", json=submission(client, registry, invitation=token, enterprise=999))
    assert elsewhere.status_code == 422
    assert "invitation" in {e["field"] for e in elsewhere.json()["errors"]}
    assert count(client) == 0


def test_the_link_opens_the_form_with_its_enterprise_fixed_and_refuses_a_second_response(client, registry):
    token = issue(client, registry)[0]
    page = client.get(f"/i/{token}", params={"lang": "en"})
    assert page.status_code == 200
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    assert hidden["invitation"] == token and hidden["enterprise"] == str(registry["enterprise"]["id"])
    assert hidden["outlet"] == str(registry["outlet"]["id"]) and "survey_device" in page.cookies

    def post(hidden):
        form = submission(client, registry)["answers"]
        fields = {k: ("yes" if v is True else str(v)) for k, v in form.items()} | hidden
        return client.post("/s/automobile", data=fields, follow_redirects=False)

    first = post(hidden)
    assert first.status_code == 303, first.text
    assert post(hidden).status_code == 303  # a double tap: the same form again
    second = post(hidden | {"response_id": str(uuid.uuid4())})  # another form opened before the first was sent
    assert second.status_code == 409 and "used already" in second.text
    assert client.get(f"/i/{token}", params={"lang": "en"}).status_code == 410
    assert count(client) == 1


def test_an_invitation_only_campaign_refuses_open_links_and_takes_invitations(client, registry):
    campaign = registry["campaign"]
    assert client.patch(f"/api/campaigns/{campaign['id']}", headers=ADMIN, json={"open_links": False}).json()[
        "open_links"] is False
    refused = client.post("/api/responses", json=submission(client, registry))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "invitation"
    page = client.get("/s/automobile", params={"campaign": "wave-1", "enterprise": registry["enterprise"]["id"]})
    assert page.status_code == 403 and "邀请" in page.text
    token = issue(client, registry)[0]
    assert client.post("/api/responses", json=submission(client, registry, invitation=token)).status_code == 201
