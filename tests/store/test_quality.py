"""Quality flags in the store: on arrival, by the batch pass, overridden; and the release's count of exclusions."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, inspect, select

from survey.errors import Conflict, NotFound
from survey.instruments.catalogue import load_catalogue
from survey.quality.origin import Origin
from survey.registry import CampaignCreate, EnterpriseCreate
from survey.releases.pipeline import build_release, every_version
from survey.responses import ResponseSubmit
from survey.store import quality, registry
from survey.store.instruments import register_catalogue
from survey.store.responses import submit_response
from survey.store.tables import ResponseFlagRow
from tests.api.conftest import USCC, full_answers
from tests.releases.wave import CAMPAIGN, stored_wave

NOW = dt.datetime(2026, 11, 20, 4, tzinfo=dt.UTC)


@pytest.fixture
def setup(db):
    catalogue = load_catalogue()
    register_catalogue(db, catalogue)
    registry.create_campaign(db, CampaignCreate(
        code="wave-q", title_zh="质量", title_en="Quality", industries=["automobile"], opens_on=dt.date(2026, 11, 1),
        closes_on=dt.date(2026, 11, 30), status="open"))
    enterprise = registry.create_enterprise(db, EnterpriseCreate(uscc=USCC, name="示例", industry="automobile",
                                                                 city="440100"))
    return catalogue, enterprise.id


def send(db, catalogue, enterprise, *, shift=0, seconds=360, at=NOW, value=None, origin=None):
    instrument = catalogue.get("automobile").instrument
    answers = full_answers(instrument)
    scale = [code for code, v in answers.items() if type(v) is int]
    for i, code in enumerate(scale):
        answers[code] = value if value is not None else 5 + (i + shift) % 5
    submit = ResponseSubmit(id=uuid.uuid4(), instrument="automobile", version=instrument.version, campaign="wave-q",
                            enterprise=enterprise, city="440100", answers=answers,
                            started_at=at - dt.timedelta(seconds=seconds), submitted_at=at)
    stored, _ = submit_response(db, instrument, submit, cities={"440100"}, now=at, origin=origin)
    return str(stored.id)


def test_arrival_flags_are_stored_with_the_rule_set_version(db, setup):
    catalogue, enterprise = setup
    straight = send(db, catalogue, enterprise, value=7)
    honest = send(db, catalogue, enterprise, shift=1)
    assert [(f.rule, f.rule_version, f.standing) for f in quality.flags_of(db, straight)] == [
        ("straight_lining", 1, True)]
    assert quality.flags_of(db, honest) == []


def test_the_network_rules_on_arrival_see_earlier_responses(db, setup):
    catalogue, enterprise = setup
    ids = [send(db, catalogue, enterprise, shift=k, at=NOW + dt.timedelta(minutes=k),
                origin=Origin(device_hash=None, network_hash="n" * 64)) for k in range(7)]
    assert [bool(quality.flags_of(db, i)) for i in ids] == [False] * 5 + [True] * 2
    assert {f.rule for f in quality.flags_of(db, ids[-1])} == {"duplicate_network"}
    # counted in SQL as the rules count over rows: this is the 7th from the network for the enterprise
    assert quality.flags_of(db, ids[-1])[0].detail.startswith("response 7 for this enterprise from one network")


def test_the_window_counts_have_an_index_that_starts_with_the_network_and_its_time(db):
    """Without it, each arrival's count reads every earlier response of its network: quadratic behind one NAT."""
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(db.engine).get_indexes("response")}
    assert indexes["ix_response_network_received"] == ["network_hash", "received_at"]


def test_a_device_seen_before_names_the_first_response_from_it(db, setup):
    catalogue, enterprise = setup
    device = Origin(device_hash="d" * 64, network_hash=None)
    ids = [send(db, catalogue, enterprise, shift=k, at=NOW + dt.timedelta(minutes=k), origin=device) for k in range(3)]
    assert quality.flags_of(db, ids[0]) == []
    for later in ids[1:]:
        flag, = quality.flags_of(db, later)
        assert flag.rule == "duplicate_device" and f"(response {ids[0][:8]})" in flag.detail


def test_the_batch_pass_adds_and_never_removes(db, setup):
    catalogue, enterprise = setup
    ids = [send(db, catalogue, enterprise, shift=k, seconds=30 if k == 0 else 300 + k,
                at=NOW + dt.timedelta(minutes=k)) for k in range(31)]
    first = quality.check_campaign(db, "wave-q", every_version(catalogue), now=NOW)
    assert first.responses == 31 and first.added["speeder"] == 1 and first.flagged_responses == 1
    assert {f.rule for f in quality.flags_of(db, ids[0])} == {"speeder", "item_speed"}
    quality.override_flag(db, ids[0], "speeder", "checked by phone", now=NOW)
    again = quality.check_campaign(db, "wave-q", every_version(catalogue), now=NOW)
    assert sum(again.added.values()) == 0  # the overridden speeder flag is not raised anew
    counts = {c.rule: (c.standing, c.overridden) for c in again.rules}
    assert counts["speeder"] == (0, 1) and counts["item_speed"] == (1, 0)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(ResponseFlagRow)) == 2
    with pytest.raises(NotFound):
        quality.check_campaign(db, "nope", every_version(catalogue))


def test_override_rules(db, setup):
    catalogue, enterprise = setup
    straight = send(db, catalogue, enterprise, value=7)
    flag = quality.override_flag(db, straight, "straight_lining", "the customer said so", now=NOW)
    assert not flag.standing and flag.overridden_at == NOW
    assert quality.override_flag(db, straight, "straight_lining", "the customer said so").overridden_at == NOW
    with pytest.raises(Conflict):
        quality.override_flag(db, straight, "straight_lining", "another reason")
    with pytest.raises(NotFound):
        quality.override_flag(db, straight, "speeder", "no such flag")
    listed, total = quality.list_flags(db, "wave-q", standing=False)
    assert total == 1 and listed[0].response == straight


def test_the_release_sample_table_counts_each_exclusion_rule_with_stored_flags(db):
    catalogue = stored_wave(db)
    check = quality.check_campaign(db, CAMPAIGN, every_version(catalogue))
    flagged = check.flagged_responses
    assert flagged > 0  # the synthetic wave has some straight lines and quick answers
    sample = build_release(db, catalogue, CAMPAIGN, resamples=100, seed=3).tables.sample
    assert sum(s.excluded["flagged"] for s in sample) == flagged
    assert all(set(s.excluded) == {"test", "flagged", "incomplete"} for s in sample)
    some = quality.list_flags(db, CAMPAIGN, standing=True, limit=1)[0][0]
    for flag in quality.flags_of(db, some.response):
        if flag.standing:
            quality.override_flag(db, some.response, flag.rule, "reviewed: a real customer")
    rebuilt = build_release(db, catalogue, CAMPAIGN, resamples=100, seed=3).tables
    assert sum(s.excluded["flagged"] for s in rebuilt.sample) == flagged - 1
