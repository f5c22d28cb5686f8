"""Approved on-site audits in a release: the audit table worked out by hand, and pinned by the manifest."""

import datetime as dt

import msgspec
import pytest
from argon2 import PasswordHasher, profiles

from survey.accounts import AccountCreate, OrganisationCreate
from survey.audits.assignment import AssignmentCreate
from survey.audits.catalogue import load_checklists
from survey.audits.submission import AuditSubmit, ReviewCreate
from survey.releases.audit_cells import ApprovedAudit, audit_cells, audit_snapshot
from survey.releases.downloads import table_csv
from survey.releases.manifest import Manifest, release_files, tables_from_files
from survey.releases.pipeline import build_release, publish_release, verify_release
from survey.store import accounts, assignments, audits, registry
from survey.store import releases as release_store
from survey.store.instruments import register_instruments
from tests.audits.builders import audit_body
from tests.releases.wave import CAMPAIGN, stored_wave


def approved(id: str, score: float, outlet: int, enterprise: int, industry: str = "automobile") -> ApprovedAudit:
    return ApprovedAudit(id=id, version=1, score=score, outlet=outlet, enterprise=enterprise,
                         enterprise_name=f"E{enterprise}", industry=industry)


def test_the_audit_table_by_hand():
    rows = [approved("a", 100.0, 1, 1), approved("b", 85.5, 2, 1), approved("c", 72.0, 3, 2),
            approved("d", 64.25, 4, 3, "e_commerce")]
    cells = audit_cells(rows)
    assert [(c.level, c.industry, c.enterprise) for c in cells] == [
        ("programme", None, None), ("industry", "automobile", None), ("industry", "e_commerce", None),
        ("enterprise", "automobile", 1), ("enterprise", "automobile", 2), ("enterprise", "e_commerce", 3)]
    programme = cells[0]
    # (100 + 85.5 + 72 + 64.25) / 4 = 80.4375: three stars; each audit by its own score: 5, 3, compliant, not
    assert (programme.audits, programme.outlets, programme.mean_score) == (4, 4, 80.4375)
    assert (programme.min_score, programme.max_score, programme.star_level) == (64.25, 100.0, "three_stars")
    assert programme.levels == {"not_compliant": 1, "compliant": 1, "three_stars": 1, "four_stars": 0, "five_stars": 1}
    # automobile: (100 + 85.5 + 72) / 3 = 85.8333...; enterprise 1: (100 + 85.5) / 2 = 92.75, four stars
    assert cells[1].mean_score == 85.833333 and cells[3].mean_score == 92.75 and cells[3].star_level == "four_stars"
    assert audit_cells(list(reversed(rows))) == cells
    assert audit_snapshot(rows) == audit_snapshot(list(reversed(rows))) and audit_snapshot(rows).approved == 4
    assert audit_cells([]) == () and audit_snapshot([]) is None


@pytest.fixture
def field(db):
    """The release test wave, with an evaluator who audited two automobile outlets (one approval pending)."""
    catalogue = stored_wave(db)
    checklists = load_checklists()
    register_instruments(db, checklists.all_versions())
    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST)
    org = accounts.create_organisation(db, OrganisationCreate(code="gd-eval", name="测评中心"))
    admin = accounts.create_account(db, AccountCreate(username="admin", password="a long password", role="admin",
                                                      display_name="A"), hasher=cheap).id
    evaluator = accounts.create_account(db, AccountCreate(username="li", password="a long password", role="evaluator",
                                                          display_name="L", organisation_id=org.id), hasher=cheap).id
    campaign = registry.find_campaign(db, CAMPAIGN)
    outlets = [o for o in registry.list_outlets(db, 0, 200)[0]
               if registry.get_enterprise(db, o.enterprise_id).industry == "automobile"][:2]
    ids = []
    for outlet in outlets:
        made = assignments.create_assignment(db, checklists, AssignmentCreate(
            campaign_id=campaign.id, outlet_id=outlet.id, evaluator_id=evaluator,
            opens_on=campaign.opens_on, closes_on=campaign.closes_on), admin)
        body = audit_body(msgspec.to_builtins(made))
        body["items"]["b05"] = {"sample": 10, "conforming": 5}  # 3 of the 6 points lost: 104 / 107 -> 97.2
        audits.submit_audit(db, checklists, evaluator, msgspec.convert(body, AuditSubmit))
        ids.append(body["id"])
    audits.review_audit(db, checklists, ids[0], admin, ReviewCreate(decision="approved", reason="ok", version=1))
    return {"catalogue": catalogue, "checklists": checklists, "admin": admin, "ids": ids}


def test_a_release_publishes_the_approved_audits_and_rebuilds_them(db, field):
    built = build_release(db, field["catalogue"], CAMPAIGN, resamples=100, seed=3)
    assert built.manifest.audits.approved == 1 and "audits" in built.manifest.files
    programme = built.tables.audits[0]
    assert (programme.audits, programme.mean_score, programme.star_level) == (1, 97.2, "five_stars")
    release_id = publish_release(db, built.run_id)
    stored = release_store.get_release(db, release_id)
    assert tables_from_files(stored.files).audits == built.tables.audits
    assert verify_release(db, field["catalogue"], release_id, rebuild=True) == []
    assert "levels:five_stars" in table_csv(built.tables, "audits").decode("utf-8-sig").splitlines()[0]
    audits.review_audit(db, field["checklists"], field["ids"][1], field["admin"],
                        ReviewCreate(decision="approved", reason="ok", version=1))
    problems = verify_release(db, field["catalogue"], release_id, rebuild=True)
    assert "audits: the approved audits are no longer the ones the release was built from" in problems


def test_a_release_without_approved_audits_has_no_audit_file(db):
    catalogue = stored_wave(db)
    built = build_release(db, catalogue, CAMPAIGN, resamples=100, seed=3)
    assert built.manifest.audits is None and built.tables.audits == ()
    assert "audits" not in release_files(built.tables) and "audits" not in built.manifest.files
    assert msgspec.json.decode(msgspec.json.encode(built.manifest), type=Manifest) == built.manifest


@pytest.mark.parametrize(("locale", "heading", "level"), [("zh", "现场测评结果", "四星"), ("en", "On-site audit results", "four stars")])
def test_the_release_page_shows_the_audit_table_only_when_there_is_one(locale, heading, level):
    from tests.releases.pages_fixtures import small_tables
    from tests.releases.test_render import page

    plain = msgspec.structs.replace(small_tables(), audits=())
    assert heading not in page(plain, locale)
    with_audits = msgspec.structs.replace(plain, audits=audit_cells([approved("a", 100.0, 1, 1), approved("b", 85.5, 2, 1)]))
    html = page(with_audits, locale)
    assert heading in html and "92.8" in html and level in html and "85.5–100.0" in html
