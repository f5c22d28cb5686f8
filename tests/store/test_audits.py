import concurrent.futures
import datetime as dt
import uuid

import msgspec
import pytest
from sqlalchemy import func, select

from survey.audits.assignment import AssignmentCreate
from survey.audits.submission import AuditSubmit, ReviewCreate
from survey.errors import Conflict, InvalidInput, NotFound
from survey.store import assignments, audits
from survey.store.tables import AuditRow, AuditVersionRow
from tests.audits.builders import audit_body

TODAY = dt.date.today()


@pytest.fixture
def assignment(db, world) -> dict:
    made = assignments.create_assignment(db, world["checklists"], AssignmentCreate(
        campaign_id=world["campaign"].id, outlet_id=world["outlet"].id, evaluator_id=world["li"],
        opens_on=TODAY - dt.timedelta(days=1), closes_on=TODAY + dt.timedelta(days=5)), world["admin"])
    return msgspec.to_builtins(made)


def submit(db, world, body: dict, who: str = "li"):
    return audits.submit_audit(db, world["checklists"], world[who], msgspec.convert(body, AuditSubmit))


def rows(db) -> tuple[int, int]:
    with db.read() as session:
        return (session.scalar(select(func.count()).select_from(AuditRow)),
                session.scalar(select(func.count()).select_from(AuditVersionRow)))


def test_an_audit_is_stored_once_and_recognised_when_sent_again(db, world, assignment):
    body = audit_body(assignment)
    outcome, stored = submit(db, world, body)
    assert outcome == "stored" and stored.version == 1 and stored.status == "submitted" and stored.flags == []
    assert stored.items["a01"].result == "conforms" and stored.position.accuracy_m == 15.0
    again, same = submit(db, world, body)
    assert again == "already_stored" and same == stored
    assert rows(db) == (1, 1)
    assert assignments.get_assignment(db, assignment["id"]).audits == 1


def test_the_same_id_with_other_content_is_a_conflict_and_changes_nothing(db, world, assignment):
    body = audit_body(assignment)
    submit(db, world, body)
    with pytest.raises(Conflict, match="replaces=1"):
        submit(db, world, body | {"notes": "changed"})
    with pytest.raises(Conflict, match="already in use"):
        submit(db, world, body, who="wu")
    assert audits.get_audit(db, uuid.UUID(body["id"]), world["checklists"]).notes == "" and rows(db) == (1, 1)


def test_an_edit_names_the_version_it_replaces_and_every_version_is_kept(db, world, assignment):
    body = audit_body(assignment)
    submit(db, world, body)
    edit = body | {"replaces": 1, "notes": "补充说明"}
    outcome, edited = submit(db, world, edit)
    assert outcome == "stored" and edited.version == 2 and edited.notes == "补充说明"
    assert submit(db, world, edit)[0] == "already_stored"  # the same edit re-sent
    with pytest.raises(Conflict, match="at version 2; this edit replaces version 1"):
        submit(db, world, body | {"replaces": 1, "notes": "a stale edit"})
    with pytest.raises(InvalidInput, match="no stored audit"):
        submit(db, world, audit_body(assignment, replaces=1))
    assert rows(db) == (1, 2)


@pytest.mark.parametrize(("change", "field"), [
    (lambda b: b["items"].pop("a01"), "items.a01"),
    (lambda b: b["items"].update(a02={"sample": 5, "conforming": 6}), "items.a02"),
    (lambda b: b["items"].update(a02={"result": "conforms"}), "items.a02"),
    (lambda b: b["items"].update(a01={"result": "na"}), "items.a01"),
    (lambda b: b["items"].update(a01={"result": "conforms", "sample": 3}), "items.a01"),
    (lambda b: b["items"].update(zz9={"result": "conforms"}), "items.zz9"),
    (lambda b: b.update(deductions=[{"code": "speeding"}]), "deductions[0].code"),
    (lambda b: b.update(bonus={"code": "law"}), "bonus.code"),
    (lambda b: b.update(checklist="audit_common"), "checklist"),
    (lambda b: b.update(assignment=999), "assignment"),
    (lambda b: b.update(visited_at=(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()), "visited_at"),
    (lambda b: b["items"]["a01"].update(photos=["ab" * 32]), "photos"),
])
def test_broken_rules_are_named_and_nothing_is_stored(db, world, assignment, change, field):
    body = audit_body(assignment)
    change(body)
    with pytest.raises(InvalidInput) as caught:
        submit(db, world, body)
    assert field in [e.field for e in caught.value.errors]
    assert rows(db) == (0, 0)


def test_another_evaluators_assignment_is_not_yours(db, world, assignment):
    with pytest.raises(InvalidInput, match=f"no assignment {assignment['id']} of yours"):
        submit(db, world, audit_body(assignment), who="wu")


def test_an_uploaded_photo_may_be_referred_to_by_its_owner_only(db, world, assignment):
    audits.add_photo(db, world["wu"], "cd" * 32, "image/jpeg", 1000)
    body = audit_body(assignment)
    body["items"]["a05"]["photos"] = ["cd" * 32]
    with pytest.raises(InvalidInput, match="has not been uploaded"):
        submit(db, world, body)
    audits.add_photo(db, world["li"], "cd" * 32, "image/jpeg", 1000)
    audits.add_photo(db, world["li"], "cd" * 32, "image/jpeg", 1000)  # again: nothing changes
    assert submit(db, world, body)[1].items["a05"].photos == ("cd" * 32,)
    assert sorted(owner for owner, _, _ in audits.photo_access(db, "cd" * 32)) == sorted([world["li"], world["wu"]])


def test_plausibility_flags(db, world, assignment):
    now = dt.datetime.now(dt.UTC)
    far = {"latitude": 23.2, "longitude": 113.3233, "accuracy_m": 30.0, "at": now.isoformat()}  # about 7 km north
    _, stored = submit(db, world, audit_body(assignment, position=far))
    assert [f.rule for f in stored.flags] == ["far_from_outlet"] and "7" in stored.flags[0].detail
    _, second = submit(db, world, audit_body(assignment, position=None))
    assert [f.rule for f in second.flags] == ["no_position", "same_outlet_same_day"]
    first = audits.get_audit(db, stored.id, world["checklists"])
    assert [f.rule for f in first.flags] == ["far_from_outlet", "same_outlet_same_day"]
    early = (now - dt.timedelta(days=3)).isoformat()
    _, outside = submit(db, world, audit_body(assignment, started_at=early, visited_at=early))
    assert [f.rule for f in outside.flags] == ["outside_window"]
    near = {"latitude": 23.1370, "longitude": 113.3236, "accuracy_m": 10.0, "at": now.isoformat()}  # about 45 m
    listed, total = audits.list_audits(db, evaluator_id=world["li"])
    assert total == 3 and listed[2].flags == ["outside_window"]
    _, close = submit(db, world, audit_body(assignment, position=near, visited_at=early, started_at=early))
    assert [f.rule for f in close.flags] == ["outside_window", "same_outlet_same_day"]  # 45 m away is not far


def test_review_states_and_only_approved_audits_are_scored(db, world, assignment):
    checklists = world["checklists"]
    body = audit_body(assignment)
    _, stored = submit(db, world, body)
    with pytest.raises(Conflict, match="at version 1, not 2"):
        audits.review_audit(db, checklists, stored.id, world["admin"], ReviewCreate(decision="approved", reason="ok", version=2))
    issues = audits.review_audit(db, checklists, stored.id, world["admin"],
                                 ReviewCreate(decision="has_issues", reason="b05 样本不足 10", version=1))
    assert issues.status == "has_issues" and issues.score is None
    _, edited = submit(db, world, body | {"replaces": 1, "notes": "补抽样"})
    assert edited.status == "submitted" and edited.version == 2
    approved = audits.review_audit(db, checklists, stored.id, world["admin"],
                                   ReviewCreate(decision="approved", reason="完整", version=2))
    assert approved.status == "approved" and approved.score.score == 100.0 and approved.score.level == "five_stars"
    assert [(r.decision, r.version) for r in approved.reviews] == [("has_issues", 1), ("approved", 2)]
    assert audits.list_audits(db, status="approved")[0][0].score == 100.0
    with pytest.raises(Conflict, match="approved"):
        submit(db, world, body | {"replaces": 2, "notes": "too late"})
    with pytest.raises(Conflict, match="already approved"):
        audits.review_audit(db, checklists, stored.id, world["admin"], ReviewCreate(decision="rejected", reason="x", version=2))
    _, other = submit(db, world, audit_body(assignment))
    rejected = audits.review_audit(db, checklists, other.id, world["admin"],
                                   ReviewCreate(decision="rejected", reason="照片与网点不符", version=1))
    assert rejected.status == "rejected" and rejected.score is None
    with pytest.raises(NotFound):
        audits.review_audit(db, checklists, uuid.uuid4(), world["admin"], ReviewCreate(decision="approved", reason="x", version=1))


def test_a_batch_cut_half_way_and_sent_again_stores_every_audit_once(db, world, assignment):
    batch = [audit_body(assignment) for _ in range(8)]
    for body in batch[:3]:  # the connection dropped after three had been stored
        submit(db, world, body)
    outcomes = [submit(db, world, body)[0] for body in batch]
    assert outcomes == ["already_stored"] * 3 + ["stored"] * 5
    assert rows(db) == (8, 8)


def test_the_same_audit_sent_three_times_at_once_is_stored_once(db, world, assignment):
    body = audit_body(assignment)
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        outcomes = sorted(pool.map(lambda _: submit(db, world, body)[0], range(3)))
    assert outcomes == ["already_stored", "already_stored", "stored"]
    assert rows(db) == (1, 1)
