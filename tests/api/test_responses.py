"""Every rule of response submission, each with a test that fails if the rule breaks."""

from __future__ import annotations

import pytest

from tests.api.conftest import ADMIN, submission


def _count(client) -> int:
    # responses are private: count through the admin read of each known id is not possible, so use the store
    from survey.store.responses import count_responses

    return count_responses(client.app.state.context.db)


def test_a_valid_response_is_stored_with_its_instrument_version(client, registry):
    body = submission(client, registry)
    created = client.post("/api/responses", json=body)
    assert created.status_code == 201, created.text
    stored = client.get(f"/api/responses/{body['id']}", headers=ADMIN).json()
    assert stored["instrument"] == "automobile" and stored["version"] == body["version"]
    assert stored["answers"]["sat1"] == 8 and stored["channel"] == "api"
    assert _count(client) == 1


def test_resending_the_same_uuid_and_content_returns_the_stored_response(client, registry):
    body = submission(client, registry)
    first = client.post("/api/responses", json=body)
    again = client.post("/api/responses", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert _count(client) == 1


def test_the_same_uuid_with_other_content_is_a_conflict(client, registry):
    body = submission(client, registry)
    assert client.post("/api/responses", json=body).status_code == 201
    changed = dict(body, answers=dict(body["answers"], sat1=3))
    answer = client.post("/api/responses", json=changed)
    assert answer.status_code == 409
    stored = client.get(f"/api/responses/{body['id']}", headers=ADMIN).json()
    assert stored["answers"]["sat1"] == 8 and _count(client) == 1


def test_not_applicable_is_stored_as_missing(client, registry):
    body = submission(client, registry)
    body["answers"]["qua6"] = "na"
    assert client.post("/api/responses", json=body).status_code == 201
    stored = client.get(f"/api/responses/{body['id']}", headers=ADMIN).json()
    assert stored["answers"]["qua6"] is None


def _answers(registry_body, **changes):
    answers = dict(registry_body["answers"])
    for key, value in changes.items():
        if value is ...:
            answers.pop(key)
        else:
            answers[key] = value
    return answers


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: {"answers": _answers(b, colour="red")}, "answers.colour"),  # unknown item
        (lambda b: {"answers": _answers(b, sat1=11)}, "answers.sat1"),  # out of range
        (lambda b: {"answers": _answers(b, sat1=0)}, "answers.sat1"),  # out of range, low side
        (lambda b: {"answers": _answers(b, sat1="eight")}, "answers.sat1"),  # wrong type
        (lambda b: {"answers": _answers(b, sat1=True)}, "answers.sat1"),  # a boolean is not a rating
        (lambda b: {"answers": _answers(b, sat2=...)}, "answers.sat2"),  # required item missing
        (lambda b: {"answers": _answers(b, cmp2=7)}, "answers.cmp2"),  # asked only after cmp1 = yes
        (lambda b: {"answers": _answers(b, cmp1="yes")}, "answers.cmp2"),  # then it is required
        (lambda b: {"answers": _answers(b, consent=False)}, "answers.consent"),
        (lambda b: {"answers": _answers(b, service_type="teleport")}, "answers.service_type"),
        (lambda b: {"answers": _answers(b, city="110000")}, "answers.city"),
        (lambda b: {"campaign": "no-such-wave"}, "campaign"),
        (lambda b: {"enterprise": 999}, "enterprise"),
        (lambda b: {"outlet": 999}, "outlet"),
        (lambda b: {"version": 99}, "version"),
        (lambda b: {"started_at": b["submitted_at"], "submitted_at": b["started_at"]}, "started_at"),
        (lambda b: {"city": "440300"}, "answers.city"),  # the city answer must agree with the city
    ],
)
def test_a_rule_broken_is_a_422_naming_the_field_and_nothing_is_stored(client, registry, change, field):
    body = submission(client, registry)
    body.update(change(body))
    answer = client.post("/api/responses", json=body)
    assert answer.status_code == 422, answer.text
    assert field in [error["field"] for error in answer.json()["errors"]], answer.json()
    assert _count(client) == 0


@pytest.mark.parametrize(
    "body_change",
    [
        {"id": "not-a-uuid"},
        {"enterprise": "one"},
        {"started_at": "2026-01-01T00:00:00"},  # a time without its offset is ambiguous
        {"unexpected": 1},
    ],
)
def test_a_body_of_the_wrong_shape_is_a_422_naming_the_field(client, registry, body_change):
    body = submission(client, registry)
    body.update(body_change)
    answer = client.post("/api/responses", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"]
    assert _count(client) == 0


def test_a_closed_campaign_accepts_nothing(client, registry):
    campaign_id = registry["campaign"]["id"]
    assert client.patch(f"/api/campaigns/{campaign_id}", headers=ADMIN, json={"status": "closed"}).status_code == 200
    answer = client.post("/api/responses", json=submission(client, registry))
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "campaign"
    assert _count(client) == 0


def test_an_enterprise_of_another_industry_is_refused(client, registry):
    answer = client.post("/api/responses", json=submission(client, registry, instrument="e_commerce"))
    assert answer.status_code == 422
    assert "enterprise" in [error["field"] for error in answer.json()["errors"]]


def test_an_oversized_body_is_refused_before_it_is_read(client, registry):
    body = submission(client, registry)
    body["answers"]["filler"] = "x" * 40_000
    answer = client.post("/api/responses", json=body)
    assert answer.status_code == 413
    assert _count(client) == 0


def test_responses_are_private(client, registry):
    body = submission(client, registry)
    client.post("/api/responses", json=body)
    assert client.get(f"/api/responses/{body['id']}").status_code == 401
