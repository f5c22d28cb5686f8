"""A clearly marked demo wave, so that a newcomer's first `make run` has something to answer."""

from __future__ import annotations

import datetime as dt

from survey.registry import CampaignCreate, EnterpriseCreate, OutletCreate
from survey.regions import load_industries, load_regions
from survey.store import registry as store
from survey.store.engine import Database
from survey.uscc import check_character

DEMO_CODE = "demo"
ENTERPRISES_PER_INDUSTRY = 3


def demo_uscc(serial: int) -> str:
    """A well-formed code in a range no real organisation uses (registration authority 9, type 9, area 449999)."""
    first17 = f"99449999DEMO{serial:05d}".replace("O", "0")
    return first17 + check_character(first17)


def create_demo(db: Database, today: dt.date | None = None) -> bool:
    """Create the demo campaign and registry unless a campaign exists already; True when created."""
    if store.list_campaigns(db, 0, 1)[1]:
        return False
    today = today or dt.date.today()
    industries = load_industries().industries
    cities = load_regions().cities
    store.create_campaign(db, CampaignCreate(
        code=DEMO_CODE,
        title_zh="演示测评活动（演示数据）",
        title_en="Demo campaign (demo data)",
        industries=[industry.code for industry in industries],
        opens_on=today - dt.timedelta(days=30),
        closes_on=today + dt.timedelta(days=335),
        status="open",
        is_demo=True,
    ))
    serial = 0
    for industry in industries:
        for number in range(ENTERPRISES_PER_INDUSTRY):
            city = cities[serial % len(cities)]
            serial += 1
            enterprise = store.create_enterprise(db, EnterpriseCreate(
                uscc=demo_uscc(serial),
                name=f"演示{industry.zh}企业{'甲乙丙丁戊'[number]}（Demo {industry.en} {'ABCDE'[number]}）",
                industry=industry.code,
                city=city.code,
            ))
            store.create_outlet(db, OutletCreate(
                enterprise_id=enterprise.id, name=f"{city.zh}服务网点", city=city.code, address=f"{city.zh}市演示路{serial}号",
            ))
    return True
