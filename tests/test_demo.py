"""The demo wave: valid stored answers, a published release, created once."""

import datetime as dt

import pytest
from sqlalchemy import select

from survey.demo import DEMO_CODE, create_demo
from survey.instruments.catalogue import load_catalogue
from survey.instruments.check import check_answers
from survey.regions import load_regions
from survey.releases.manifest import tables_from_files
from survey.releases.pipeline import verify_release
from survey.responses import encode_item_values
from survey.store import releases, registry
from survey.store.instruments import register_catalogue
from survey.store.tables import ResponseRow


@pytest.fixture
def demo(db):
    catalogue = load_catalogue()
    register_catalogue(db, catalogue)
    release_id = create_demo(db, catalogue, dt.date(2026, 11, 25), enterprises_per_industry=3,
                             respondents=(25, 45), resamples=100)
    return catalogue, release_id


def test_the_demo_is_marked_covers_every_industry_and_city_and_is_published(db, demo):
    catalogue, release_id = demo
    campaign = registry.find_campaign(db, DEMO_CODE)
    assert campaign.is_demo and "演示" in campaign.title_zh and "demo" in campaign.title_en.lower()
    enterprises, total = registry.list_enterprises(db, limit=100)
    assert total == 30 and {e.industry for e in enterprises} == set(campaign.industries)
    assert {e.city for e in enterprises} == {city.code for city in load_regions().cities}
    assert verify_release(db, catalogue, release_id) == []
    tables = tables_from_files(releases.get_release(db, release_id).files)
    assert tables.is_demo
    verdicts = {c.vs_target for c in tables.cells if c.level == "industry"}
    assert len(verdicts) > 1  # industries on both sides of the target (or not separable from it)


def test_stored_demo_answers_are_what_a_submission_would_store(db, demo):
    catalogue, _ = demo
    cities = {city.code for city in load_regions().cities}
    with db.read() as session:
        rows = session.execute(select(ResponseRow.instrument_code, ResponseRow.answers, ResponseRow.item_values,
                                      ResponseRow.city)).all()
    assert any(None in answers.values() for _, answers, _, _ in rows)  # some "not applicable"
    assert any(answers.get("cmp1") == "yes" for _, answers, _, _ in rows)
    for code, answers, values, city in rows:
        instrument = catalogue.get(code).instrument
        form = {k: ("na" if v is None else v) for k, v in answers.items()}
        normalised, errors = check_answers(instrument, form, cities)
        assert errors == [] and normalised == answers and answers["city"] == city
        assert encode_item_values(instrument, normalised) == values


def test_the_demo_is_created_only_in_an_empty_database(db, demo):
    catalogue, _ = demo
    assert create_demo(db, catalogue) is None
    assert len(releases.list_releases(db)) == 1
