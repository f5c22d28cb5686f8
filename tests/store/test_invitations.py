"""Invitations in the store: one response per token, also when many arrive at once."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import uuid

import pytest
from sqlalchemy import select

from survey.errors import InvalidInput, InvitationUsed, NotFound
from survey.instruments.catalogue import load_catalogue
from survey.invitations.spec import InvitationIssue
from survey.registry import CampaignCreate, EnterpriseCreate
from survey.responses import ResponseSubmit
from survey.store import registry
from survey.store.instruments import register_catalogue
from survey.store.invitations import find_invitation, issue_invitations, list_batches
from survey.store.responses import count_responses, submit_response
from survey.store.tables import InvitationRow
from tests.api.conftest import USCC, full_answers


@pytest.fixture
def setup(db):
    catalogue = load_catalogue()
    register_catalogue(db, catalogue)
    today = dt.date.today()
    registry.create_campaign(db, CampaignCreate(
        code="wave-i", title_zh="邀请", title_en="Invited", industries=["automobile"],
        opens_on=today - dt.timedelta(days=5), closes_on=today + dt.timedelta(days=5), status="open", open_links=False))
    enterprise = registry.create_enterprise(db, EnterpriseCreate(uscc=USCC, name="示例", industry="automobile",
                                                                 city="440100"))
    return catalogue, enterprise.id


def submit(catalogue, enterprise, token):
    instrument = catalogue.get("automobile").instrument
    now = dt.datetime.now(dt.UTC)
    return instrument, ResponseSubmit(
        id=uuid.uuid4(), instrument="automobile", version=instrument.version, campaign="wave-i", enterprise=enterprise,
        city="440100", answers=full_answers(instrument), started_at=now - dt.timedelta(minutes=5), submitted_at=now,
        invitation=token)


def test_only_hashes_are_stored_and_a_batch_counts_its_use(db, setup):
    catalogue, enterprise = setup
    issued = issue_invitations(db, InvitationIssue(campaign="wave-i", enterprise=enterprise, count=4),
                               base_url="https://survey.example/")
    tokens = [entry.token for entry in issued.links]
    assert issued.links[0].link == f"https://survey.example/i/{tokens[0]}"
    with db.read() as session:
        rows = session.scalars(select(InvitationRow)).all()
    assert {r.token_sha256 for r in rows} == {hashlib.sha256(t.encode()).hexdigest() for t in tokens}
    assert not {t for t in tokens for r in rows if t in (r.token_sha256, r.response_id or "")}
    submit_response(db, *submit(catalogue, enterprise, tokens[0]), cities={"440100"})
    assert [(b.count, b.used) for b in list_batches(db, "wave-i")] == [(4, 1)]
    assert find_invitation(db, tokens[0]).used and not find_invitation(db, tokens[1]).used
    with pytest.raises(NotFound):
        find_invitation(db, "z" * 22)


def test_many_responses_racing_for_one_token_store_exactly_one(db, setup):
    catalogue, enterprise = setup
    token = issue_invitations(db, InvitationIssue(campaign="wave-i", enterprise=enterprise, count=1),
                              base_url="http://x").links[0].token
    results: list[str] = []
    start = threading.Barrier(8)

    def race() -> None:
        instrument, body = submit(catalogue, enterprise, token)
        start.wait()
        try:
            submit_response(db, instrument, body, cities={"440100"})
            results.append("stored")
        except InvitationUsed:
            results.append("used")

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["stored"] + ["used"] * 7
    assert count_responses(db, "wave-i") == 1


def test_an_invitation_only_campaign_refuses_a_response_without_a_token(db, setup):
    catalogue, enterprise = setup
    with pytest.raises(InvalidInput) as refused:
        submit_response(db, *submit(catalogue, enterprise, None), cities={"440100"})
    assert refused.value.errors[0].field == "invitation"
    with pytest.raises(InvalidInput) as closed:
        issue_invitations(db, InvitationIssue(campaign="nope", enterprise=enterprise, count=1), base_url="http://x")
    assert closed.value.errors[0].field == "campaign"
