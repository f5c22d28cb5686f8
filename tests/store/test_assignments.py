import datetime as dt

import msgspec
import pytest

from survey.audits.assignment import AssignmentCreate, AssignmentUpdate
from survey.errors import Conflict, InvalidInput, NotFound
from survey.store import assignments

TODAY = dt.date.today()


def create(db, world, **changes):
    data = AssignmentCreate(campaign_id=world["campaign"].id, outlet_id=world["outlet"].id, evaluator_id=world["li"],
                            opens_on=TODAY - dt.timedelta(days=1), closes_on=TODAY + dt.timedelta(days=5))
    return assignments.create_assignment(db, world["checklists"], msgspec.structs.replace(data, **changes), world["admin"])


def test_an_assignment_pins_the_industry_checklist_and_shows_the_outlet(db, world):
    made = create(db, world)
    assert (made.checklist, made.checklist_version) == ("audit_automobile", 1)
    assert (made.outlet_name, made.enterprise_name, made.industry, made.audits) == ("天河站", "汽车公司", "automobile", 0)
    assert made.latitude == pytest.approx(23.1367)
    assert assignments.get_assignment(db, made.id) == made
    assert assignments.list_assignments(db, evaluator_id=world["li"]) == ([made], 1)
    assert assignments.list_assignments(db, evaluator_id=world["wu"]) == ([], 0)
    assert assignments.list_assignments(db, organisation_id=world["org"].id)[1] == 1
    with pytest.raises(Conflict, match="already assigned"):
        create(db, world, evaluator_id=world["wu"])


@pytest.mark.parametrize(("changes", "field"), [
    ({"opens_on": TODAY + dt.timedelta(days=6)}, "opens_on"),
    ({"closes_on": TODAY + dt.timedelta(days=30)}, "closes_on"),
    ({"campaign_id": 99}, "campaign_id"),
    ({"outlet_id": 99}, "outlet_id"),
])
def test_assignment_rules_name_the_field(db, world, changes, field):
    with pytest.raises(InvalidInput) as caught:
        create(db, world, **changes)
    assert field in [e.field for e in caught.value.errors]


@pytest.mark.parametrize("who", ["admin", "manager", 999])
def test_only_an_active_evaluator_is_assigned(db, world, who):
    with pytest.raises(InvalidInput) as caught:
        create(db, world, evaluator_id=world[who] if isinstance(who, str) else who)
    assert [e.field for e in caught.value.errors] == ["evaluator_id"]


def test_an_assignment_moves_to_another_evaluator_or_window(db, world):
    made = create(db, world)
    moved = assignments.update_assignment(db, made.id, AssignmentUpdate(evaluator_id=world["wu"],
                                                                       closes_on=TODAY + dt.timedelta(days=9)))
    assert moved.evaluator_id == world["wu"] and moved.closes_on == TODAY + dt.timedelta(days=9)
    with pytest.raises(InvalidInput):
        assignments.update_assignment(db, made.id, AssignmentUpdate(opens_on=TODAY + dt.timedelta(days=10)))
    with pytest.raises(NotFound):
        assignments.update_assignment(db, 99, AssignmentUpdate(evaluator_id=world["li"]))


def test_outlet_coordinates_come_in_pairs(db, world):
    from survey.registry import OutletCreate
    from survey.store import registry

    half = OutletCreate(enterprise_id=world["outlet"].enterprise_id, name="半个坐标", city="440100", address="某路",
                        latitude=23.1)
    with pytest.raises(InvalidInput) as caught:
        registry.create_outlet(db, half)
    assert [e.field for e in caught.value.errors] == ["longitude"]
