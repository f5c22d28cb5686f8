"""A small world for the assignment and audit store tests."""

import datetime as dt

import pytest
from argon2 import PasswordHasher, profiles

from survey.accounts import AccountCreate, OrganisationCreate
from survey.audits.catalogue import load_checklists
from survey.registry import CampaignCreate, EnterpriseCreate, OutletCreate
from survey.store import accounts, registry
from survey.store.instruments import register_instruments

CHEAP = PasswordHasher.from_parameters(profiles.CHEAPEST)
TODAY = dt.date.today()


@pytest.fixture
def world(db) -> dict:
    """A campaign for automobiles and sports equipment, an automobile outlet with coordinates, an organisation with two
    evaluators, and an administrator."""
    checklists = load_checklists()
    register_instruments(db, checklists.all_versions())
    campaign = registry.create_campaign(db, CampaignCreate(
        code="wave-1", title_zh="第一期", title_en="Wave 1", industries=["automobile", "sports_equipment"],
        opens_on=TODAY - dt.timedelta(days=10), closes_on=TODAY + dt.timedelta(days=20), status="open"))
    car = registry.create_enterprise(db, EnterpriseCreate(uscc="91350100M000100Y43", name="汽车公司",
                                                          industry="automobile", city="440100"))
    outlet = registry.create_outlet(db, OutletCreate(enterprise_id=car.id, name="天河站", city="440100",
                                                     address="天河路1号", latitude=23.1367, longitude=113.3233))
    org = accounts.create_organisation(db, OrganisationCreate(code="gd-eval", name="广东测评中心"))
    people = {
        name: accounts.create_account(db, AccountCreate(username=name, password="a long password", role=role,
                                                        display_name=name, organisation_id=org_id), hasher=CHEAP).id
        for name, role, org_id in [("admin", "admin", None), ("li", "evaluator", org.id), ("wu", "evaluator", org.id),
                                   ("manager", "organisation", org.id)]
    }
    return {"checklists": checklists, "campaign": campaign, "outlet": outlet, "org": org, **people}
