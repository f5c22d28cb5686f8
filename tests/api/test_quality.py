"""Quality flags through the API: raised on arrival, by the batch pass, reviewed and overridden."""

from __future__ import annotations

import datetime as dt
import uuid

from tests.api.conftest import ADMIN, submission
from tests.api.test_quotas import varied


def flags_of(client, response_id) -> dict[str, dict]:
    answer = client.get(f"/api/quality/flags/{response_id}", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return {flag["rule"]: flag for flag in answer.json()}


def test_cheap_rules_flag_a_response_on_arrival(client, registry):
    straight = submission(client, registry)  # 8 everywhere
    assert client.post("/api/responses", json=straight).status_code == 201
    flag = flags_of(client, straight["id"])["straight_lining"]
    assert flag["standing"] and flag["rule_version"] == 1 and "8" in flag["detail"]
    fast = varied(client, registry, item_seconds={"sat1": 0.5, "sat2": 0.4, "sat3": 0.6, "img1": 0.5, "img2": 0.5,
                                                   "img3": 0.7})
    assert client.post("/api/responses", json=fast).status_code == 201
    assert set(flags_of(client, fast["id"])) == {"item_speed"}
    honest = varied(client, registry, 1)
    assert client.post("/api/responses", json=honest).status_code == 201
    assert flags_of(client, honest["id"]) == {}


def test_the_same_device_twice_for_an_enterprise_is_flagged(client, registry):
    client.cookies.set("survey_device", "d" * 22)
    first, second = varied(client, registry), varied(client, registry, 1)
    assert client.post("/api/responses", json=first).status_code == 201
    assert client.post("/api/responses", json=second).status_code == 201
    assert flags_of(client, first["id"]) == {}
    assert "duplicate_device" in flags_of(client, second["id"])


def test_unknown_timed_items_are_refused(client, registry):
    body = varied(client, registry, item_seconds={"colour": 3.0})
    answer = client.post("/api/responses", json=body)
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "item_seconds.colour"


def test_the_batch_pass_adds_speeders_once_the_median_is_known(client, registry):
    now = dt.datetime.now(dt.UTC)
    ids = []
    for k in range(32):
        seconds = 30 if k < 2 else 400 + k  # two respondents took 30 s, the others about 7 minutes
        body = varied(client, registry, k, started_at=(now - dt.timedelta(seconds=seconds)).isoformat(),
                      submitted_at=now.isoformat())
        assert client.post("/api/responses", json=body).status_code == 201
        ids.append(body["id"])
    assert "speeder" not in flags_of(client, ids[0])  # not a cheap rule: not on arrival
    checked = client.post("/api/quality/check", headers=ADMIN, json={"campaign": "wave-1"})
    assert checked.status_code == 200, checked.text
    result = checked.json()
    assert result["responses"] == 32 and result["added"]["speeder"] == 2 and result["rule_set"] == "quality-v1"
    assert {ids[0], ids[1]} <= {f["response"] for f in client.get(
        "/api/quality/flags", params={"campaign": "wave-1", "rule": "speeder"}, headers=ADMIN).json()["items"]}
    again = client.post("/api/quality/check", headers=ADMIN, json={"campaign": "wave-1"}).json()
    assert sum(again["added"].values()) == 0 and again["rules"] == result["rules"]
    assert client.post("/api/quality/check", json={"campaign": "wave-1"}).status_code == 401
    assert client.post("/api/quality/check", headers=ADMIN, json={"campaign": "nope"}).status_code == 404


def test_an_override_keeps_the_flag_with_its_reason_and_stops_excluding(client, registry):
    client.put("/api/quotas", headers=ADMIN, json={"campaign": "wave-1", "enterprise": registry["enterprise"]["id"],
                                                   "target": 1})
    straight = submission(client, registry)
    assert client.post("/api/responses", json=straight).status_code == 201
    url = f"/api/quality/flags/{straight['id']}/straight_lining/override"
    assert client.post(url, headers=ADMIN, json={"reason": ""}).status_code == 422
    assert client.post(url, json={"reason": "phoned the customer"}).status_code == 401
    done = client.post(url, headers=ADMIN, json={"reason": "phoned the customer: all 8 is right"})
    assert done.status_code == 200 and done.json()["standing"] is False
    assert client.post(url, headers=ADMIN, json={"reason": "phoned the customer: all 8 is right"}).status_code == 200
    assert client.post(url, headers=ADMIN, json={"reason": "another reason"}).status_code == 409
    missing = f"/api/quality/flags/{uuid.uuid4()}/speeder/override"
    assert client.post(missing, headers=ADMIN, json={"reason": "no such flag"}).status_code == 404
    flag = flags_of(client, straight["id"])["straight_lining"]
    assert flag["override_reason"].startswith("phoned") and flag["overridden_at"]
    standing = client.get("/api/quality/flags", params={"campaign": "wave-1", "standing": "true"}, headers=ADMIN)
    assert standing.json()["total"] == 0
    progress = client.get("/api/quotas", params={"campaign": "wave-1"}, headers=ADMIN).json()
    assert progress[0]["valid"] == 1 and progress[0]["full"]  # the overridden response counts now


def test_approve_everything_needs_another_flag_and_falls_with_it(client, registry):
    body = submission(client, registry)
    answers = {k: (10 if type(v) is int else v) for k, v in body["answers"].items()}
    delighted = body | {"answers": answers}
    assert client.post("/api/responses", json=delighted).status_code == 201
    assert flags_of(client, delighted["id"]) == {}  # top box alone: never flagged
    timed = {code: 0.5 for code in list(answers)[:10]}
    rushed = submission(client, registry, answers=answers, item_seconds=timed)
    assert client.post("/api/responses", json=rushed).status_code == 201
    assert set(flags_of(client, rushed["id"])) == {"item_speed", "approve_everything"}
    url = f"/api/quality/flags/{rushed['id']}/item_speed/override"
    assert client.post(url, headers=ADMIN, json={"reason": "a fast reader, checked"}).status_code == 200
    approve = flags_of(client, rushed["id"])["approve_everything"]
    assert approve["standing"] is False and approve["override_reason"].startswith("automatic")
