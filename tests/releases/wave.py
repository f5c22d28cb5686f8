"""A small stored wave for the pipeline tests: two industries, eight enterprises each, 40 respondents each."""

from __future__ import annotations

import datetime as dt

from survey.demo import generate_wave
from survey.instruments.catalogue import Catalogue, load_catalogue
from survey.registry import CampaignCreate
from survey.store import registry
from survey.store.engine import Database
from survey.store.instruments import register_catalogue

CAMPAIGN = "wave-t"
RECEIVED = dt.datetime(2026, 11, 20, 4, tzinfo=dt.UTC)


def stored_wave(db: Database, *, demo: bool = False, respondents: int = 40) -> Catalogue:
    catalogue = load_catalogue()
    register_catalogue(db, catalogue)
    registry.create_campaign(db, CampaignCreate(
        code=CAMPAIGN, title_zh="测试期", title_en="Test wave", industries=["automobile", "e_commerce"],
        opens_on=dt.date(2026, 10, 1), closes_on=dt.date(2026, 12, 31), status="open", is_demo=demo,
    ))
    generate_wave(db, catalogue, CAMPAIGN, enterprises_per_industry=8, respondents=respondents, seed=5,
                  received=RECEIVED)
    return catalogue
