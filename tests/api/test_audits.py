import datetime as dt
import hashlib
import io
import uuid

import pytest

from tests.api.conftest import ADMIN, add_account, bearer
from tests.audits.builders import audit_body

TODAY = dt.date.today()
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(range(256)) * 4


@pytest.fixture
def field(client, registry, database_url) -> dict:
    """An organisation with evaluators li and wu, its manager, and the registry's outlet (now with coordinates)
    assigned to li."""
    org = client.post("/api/organisations", headers=ADMIN, json={"code": "gd-eval", "name": "广东测评中心"}).json()["id"]
    other = client.post("/api/organisations", headers=ADMIN, json={"code": "other", "name": "Other"}).json()["id"]
    ids = {name: add_account(database_url, name, role, organisation)
           for name, role, organisation in [("li", "evaluator", org), ("wu", "evaluator", org),
                                            ("zhao", "evaluator", other), ("manager", "organisation", org),
                                            ("stranger", "organisation", other)]}
    outlet = registry["outlet"]["id"]
    placed = client.patch(f"/api/outlets/{outlet}", headers=ADMIN, json={"latitude": 23.1367, "longitude": 113.3233})
    assert placed.status_code == 200 and placed.json()["latitude"] == 23.1367
    assignment = client.post("/api/assignments", headers=ADMIN, json={
        "campaign_id": registry["campaign"]["id"], "outlet_id": outlet, "evaluator_id": ids["li"],
        "opens_on": str(TODAY - dt.timedelta(days=1)), "closes_on": str(TODAY + dt.timedelta(days=5)),
    })
    assert assignment.status_code == 201, assignment.text
    tokens = {name: bearer(client, name) for name in ids}
    return {"ids": ids, "tokens": tokens, "assignment": assignment.json()}


def send(client, headers, *bodies):
    answer = client.post("/api/audits/batch", headers=headers, json={"audits": list(bodies)})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_an_evaluator_sees_only_their_assignments_with_the_checklist_to_use(client, field):
    li, wu, manager = (field["tokens"][name] for name in ("li", "wu", "manager"))
    mine = client.get("/api/assignments", headers=li).json()
    assert mine["total"] == 1 and mine["items"][0]["checklist"] == "audit_automobile"
    assert client.get("/api/assignments", headers=wu).json()["total"] == 0
    assert client.get("/api/assignments", headers=manager).json()["total"] == 1
    checklist = client.get("/api/checklists/audit_automobile/versions/1", headers=li).json()
    assert checklist["checklist"]["families"][0]["items"][0]["code"] == "a01" and len(checklist["sha256"]) == 64


def test_a_batch_answers_per_audit(client, field):
    li = field["tokens"]["li"]
    good = audit_body(field["assignment"])
    broken = audit_body(field["assignment"])
    broken["items"]["a02"] = {"sample": 3, "conforming": 4}
    undecodable = audit_body(field["assignment"], visited_at="yesterday")
    result = send(client, li, good, broken, undecodable, {"no": "id"})
    assert [r["outcome"] for r in result["results"]] == ["stored", "rejected", "rejected", "rejected"]
    assert [r["status_code"] for r in result["results"]] == [201, 422, 422, 422]
    assert result["results"][1]["errors"] == [{"field": "items.a02", "reason": "conforming (4) is more than the sample (3)"}]
    assert result["results"][2]["id"] == undecodable["id"] and result["results"][2]["errors"][0]["field"] == "visited_at"
    assert result["results"][3]["id"] is None
    assert (result["stored"], result["rejected"]) == (1, 3)
    again = send(client, li, good, good | {"notes": "other content"})
    assert [(r["outcome"], r["status_code"]) for r in again["results"]] == [("already_stored", 200), ("conflict", 409)]
    assert client.get("/api/audits", headers=li).json()["total"] == 1


def test_a_batch_cut_off_and_sent_again_stores_each_audit_exactly_once(client, field):
    li = field["tokens"]["li"]
    batch = [audit_body(field["assignment"]) for _ in range(12)]
    send(client, li, *batch[:5])  # what reached the server before the connection dropped
    result = send(client, li, *batch)
    assert [r["outcome"] for r in result["results"]] == ["already_stored"] * 5 + ["stored"] * 7
    listed = client.get("/api/audits", headers=li, params={"limit": 200}).json()
    assert listed["total"] == 12 and sorted(a["id"] for a in listed["items"]) == sorted(b["id"] for b in batch)


def test_edits_carry_the_version_they_replace(client, field):
    li = field["tokens"]["li"]
    body = audit_body(field["assignment"])
    send(client, li, body)
    edited = send(client, li, body | {"replaces": 1, "notes": "补充"})["results"][0]
    assert (edited["outcome"], edited["version"]) == ("stored", 2)
    stale = send(client, li, body | {"replaces": 1, "notes": "stale"})["results"][0]
    assert stale["status_code"] == 409 and "at version 2" in stale["errors"][0]["reason"]
    assert client.get(f"/api/audits/{body['id']}", headers=li).json()["notes"] == "补充"


def test_review_approves_and_scores_or_sends_back(client, field):
    li = field["tokens"]["li"]
    body = audit_body(field["assignment"])
    send(client, li, body)
    path = f"/api/audits/{body['id']}"
    assert client.get(path, headers=ADMIN).json()["score"] is None
    missing = client.post(f"{path}/review", headers=ADMIN, json={"decision": "approved", "version": 1})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "reason"
    assert client.post(f"{path}/review", headers=li, json={"decision": "approved", "reason": "x", "version": 1}).status_code == 403
    sent_back = client.post(f"{path}/review", headers=ADMIN, json={"decision": "has_issues", "reason": "缺照片", "version": 1})
    assert sent_back.json()["status"] == "has_issues"
    send(client, li, body | {"replaces": 1, "notes": "已补"})
    stale = client.post(f"{path}/review", headers=ADMIN, json={"decision": "approved", "reason": "ok", "version": 1})
    assert stale.status_code == 409
    approved = client.post(f"{path}/review", headers=ADMIN, json={"decision": "approved", "reason": "ok", "version": 2})
    assert approved.status_code == 200 and approved.json()["score"]["score"] == 100.0
    assert approved.json()["score"]["level"] == "five_stars"
    assert client.get("/api/audits", headers=ADMIN, params={"status": "approved"}).json()["items"][0]["score"] == 100.0


def test_photos_are_checked_stored_under_the_data_folder_and_private(client, field, tmp_path):
    li, wu, manager, stranger = (field["tokens"][n] for n in ("li", "wu", "manager", "stranger"))
    stored = client.post("/api/photos", headers=li | {"content-type": "image/jpeg"}, content=JPEG)
    assert stored.status_code == 201, stored.text
    sha256 = hashlib.sha256(JPEG).hexdigest()
    assert stored.json() == {"sha256": sha256, "media_type": "image/jpeg", "size": len(JPEG)}
    assert (tmp_path / "data" / "photos" / sha256[:2] / sha256).read_bytes() == JPEG
    text = client.post("/api/photos", headers=li | {"content-type": "image/jpeg"}, content=b"<svg onload=alert(1)>")
    assert text.status_code == 422 and "JPEG" in text.json()["errors"][0]["reason"]
    huge = client.post("/api/photos", headers=li, content=io.BytesIO(JPEG * 6000).read())
    assert huge.status_code == 413
    got = client.get(f"/api/photos/{sha256}", headers=li)
    assert got.content == JPEG and got.headers["content-type"] == "image/jpeg"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert client.get(f"/api/photos/{sha256}", headers=manager).status_code == 200
    assert client.get(f"/api/photos/{sha256}", headers=ADMIN).status_code == 200
    assert client.get(f"/api/photos/{sha256}", headers=wu).status_code == 404
    assert client.get(f"/api/photos/{sha256}", headers=stranger).status_code == 404
    body = audit_body(field["assignment"])
    body["items"]["a05"]["photos"] = [sha256]
    assert send(client, li, body)["results"][0]["outcome"] == "stored"


def test_plausibility_flags_come_back_with_the_result(client, field):
    far = {"latitude": 22.5431, "longitude": 114.0579, "accuracy_m": 20.0, "at": dt.datetime.now(dt.UTC).isoformat()}
    result = send(client, field["tokens"]["li"], audit_body(field["assignment"], position=far))["results"][0]
    assert result["outcome"] == "stored" and [f["rule"] for f in result["flags"]] == ["far_from_outlet"]


def test_a_batch_is_bounded(client, field):
    li = field["tokens"]["li"]
    too_many = client.post("/api/audits/batch", headers=li, json={"audits": [{}] * 51})
    assert too_many.status_code == 422
    assert client.post("/api/audits/batch", headers=li, json={"audits": []}).status_code == 422
    assert client.post("/api/audits/batch", headers=li, content=b"{not json").status_code in (400, 422)
    assert client.get(f"/api/audits/{uuid.uuid4()}", headers=ADMIN).status_code == 404
