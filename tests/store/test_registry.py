import datetime as dt

import msgspec
import pytest

from survey.errors import Conflict, InvalidInput, NotFound
from survey.registry import CampaignCreate, CampaignUpdate, EnterpriseCreate, EnterpriseUpdate, OutletCreate
from survey.store import registry
from survey.uscc import check_character

WAVE = CampaignCreate(
    code="2026-q4",
    title_zh="2026年第四季度售后服务满意度测评",
    title_en="After-sales satisfaction, 2026 Q4",
    industries=["automobile", "e_commerce"],
    opens_on=dt.date(2026, 10, 1),
    closes_on=dt.date(2026, 12, 31),
    status="open",
)
GAC = EnterpriseCreate(uscc="91350100M000100Y43", name="示例汽车销售服务有限公司", industry="automobile", city="440100")


def test_campaign_round_trip_and_update(db):
    created = registry.create_campaign(db, WAVE)
    assert registry.get_campaign(db, created.id) == created
    assert registry.find_campaign(db, "2026-q4") == created
    closed = registry.update_campaign(db, created.id, CampaignUpdate(status="closed"))
    assert closed.status == "closed" and closed.title_zh == WAVE.title_zh
    items, total = registry.list_campaigns(db)
    assert total == 1 and items == [closed]


def test_campaign_code_is_unique(db):
    registry.create_campaign(db, WAVE)
    with pytest.raises(Conflict):
        registry.create_campaign(db, WAVE)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"industries": ["automobile", "bicycles"]}, "industries[1]"), ({"closes_on": dt.date(2026, 9, 1)}, "closes_on")],
)
def test_campaign_rules(db, changes, field):
    with pytest.raises(InvalidInput) as caught:
        registry.create_campaign(db, msgspec.structs.replace(WAVE, **changes))
    assert [e.field for e in caught.value.errors] == [field]
    assert registry.list_campaigns(db)[1] == 0


def test_update_cannot_put_dates_out_of_order(db):
    created = registry.create_campaign(db, WAVE)
    with pytest.raises(InvalidInput):
        registry.update_campaign(db, created.id, CampaignUpdate(opens_on=dt.date(2027, 1, 5)))
    assert registry.get_campaign(db, created.id) == created


def test_enterprise_rules_and_uniqueness(db):
    created = registry.create_enterprise(db, GAC)
    assert created.uscc == GAC.uscc
    with pytest.raises(Conflict):
        registry.create_enterprise(db, GAC)
    with pytest.raises(InvalidInput) as caught:
        registry.create_enterprise(db, msgspec.structs.replace(GAC, uscc="91350100M000100Y44", city="110000"))
    assert {e.field for e in caught.value.errors} == {"uscc", "city"}
    assert "check character" in caught.value.errors[0].reason
    renamed = registry.update_enterprise(db, created.id, EnterpriseUpdate(name="新名称"))
    assert renamed.name == "新名称" and renamed.uscc == GAC.uscc


def test_outlets_belong_to_a_known_enterprise(db):
    enterprise = registry.create_enterprise(db, GAC)
    outlet = registry.create_outlet(
        db, OutletCreate(enterprise_id=enterprise.id, name="天河服务站", city="440100", address="天河路1号")
    )
    assert registry.list_outlets(db, enterprise_id=enterprise.id) == ([outlet], 1)
    with pytest.raises(InvalidInput) as caught:
        registry.create_outlet(db, OutletCreate(enterprise_id=999, name="x", city="440100", address="y"))
    assert caught.value.errors[0].field == "enterprise_id"
    with pytest.raises(NotFound):
        registry.get_outlet(db, 999)


def _uscc(serial: int) -> str:
    first17 = f"913501000000{serial:05d}"
    return first17 + check_character(first17)


def test_lists_filter_and_page(db):
    for index in range(5):
        industry = "automobile" if index % 2 else "e_commerce"
        registry.create_enterprise(db, msgspec.structs.replace(GAC, uscc=_uscc(index), industry=industry))
    page, total = registry.list_enterprises(db, offset=1, limit=2, industry="e_commerce")
    assert total == 3 and len(page) == 2 and all(e.industry == "e_commerce" for e in page)
