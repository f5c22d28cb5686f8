"""A group of submissions stored at once is decided exactly as the same submissions stored one by one, in id order:
the same answers (stored, resent, refused and why), the same quality flags with the same details, the same quota
places and rate-limit refusals."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from survey.instruments.catalogue import load_catalogue
from survey.quality.origin import Origin
from survey.quotas import QuotaSet
from survey.registry import CampaignCreate, EnterpriseCreate
from survey.responses import ResponseSubmit
from survey.store import quality, registry
from survey.store.arrivals import Arrival, store_arrivals
from survey.store.instruments import register_catalogue
from survey.store.limits import RateLimit
from survey.store.quotas import set_quota
from survey.store.responses import count_responses

NOW = dt.datetime(2026, 11, 20, 4, tzinfo=dt.UTC)
CITY = "440100"


@pytest.fixture
def world(db):
    catalogue = load_catalogue()
    register_catalogue(db, catalogue)
    for code in ("wave-g", "wave-s"):
        registry.create_campaign(db, CampaignCreate(
            code=code, title_zh="期", title_en="Wave", industries=["automobile"], opens_on=dt.date(2026, 11, 1),
            closes_on=dt.date(2026, 11, 30), status="open"))
    enterprises = [registry.create_enterprise(db, EnterpriseCreate(
        uscc=uscc, name=f"汽车{n}", industry="automobile", city=CITY)).id
        for n, uscc in enumerate(["91350100M000100Y43", "91440101MA59TKB24B"])]
    for code in ("wave-g", "wave-s"):
        set_quota(db, QuotaSet(campaign=code, industry="automobile", city=CITY, enterprise=enterprises[1], target=3))
    return catalogue.get("automobile").instrument, enterprises


def _answers(instrument, shift: int, value: int | None = None) -> dict:
    from tests.api.conftest import full_answers

    answers = full_answers(instrument)
    scale = [code for code, v in answers.items() if type(v) is int]
    for i, code in enumerate(scale):
        answers[code] = value if value is not None else 5 + (i + shift) % 5
    return answers


def _plan(instrument, enterprises):
    """(serial, enterprise, network, device, straight, test, seconds, other content) per submission; a serial
    seen before is a resend of that submission (the same content unless `other content`)."""
    first, second = enterprises
    plan = []
    plan += [(n, first, "n1", None, False, False, 300, False) for n in range(8)]  # duplicate network after 5
    plan += [(10 + n, first, "n2", None, False, False, 300, False) for n in range(12)]  # velocity after 10
    plan += [(30 + n, first, None, "d1", False, False, 300, False) for n in range(3)]  # the same device
    plan += [(40, first, "n3", None, True, False, 300, False)]  # straight-lining
    plan += [(41, second, "n4", None, True, False, 300, False)]  # flagged: takes no quota place
    plan += [(42 + n, second, f"m{n}", None, False, False, 300, False) for n in range(4)]  # the quota's 3, then full
    plan += [(50, first, "n5", None, False, True, 300, False)]  # a test submission
    plan += [(3, first, "n1", None, False, False, 300, False), (4, first, "n1", None, False, False, 300, True)]
    plan += [(60 + n, first, "hot", None, False, False, 300, False) for n in range(6)]  # beyond its rate limit
    plan += [(70, 999_999, "n6", None, False, False, 300, False)]  # no such enterprise
    return plan


def _arrivals(plan, instrument, campaign: str, tag: int) -> list[Arrival]:
    arrivals = []
    for serial, enterprise, network, device, straight, test, seconds, other in plan:
        submit = ResponseSubmit(
            id=uuid.UUID(f"{serial:08x}-0000-4000-8000-{tag:012x}"), instrument="automobile",
            version=instrument.version, campaign=campaign, enterprise=enterprise, city=CITY,
            answers=_answers(instrument, serial + (1 if other else 0), 7 if straight else None),
            started_at=NOW - dt.timedelta(seconds=seconds), submitted_at=NOW, test=test)
        limit = RateLimit(key=f"submit:{campaign}:{network}", hits=4, window_s=60) if network == "hot" else None
        arrivals.append(Arrival(submit, instrument, cities={CITY}, channel="api", now=NOW,
                                origin=Origin(network_hash=network and network * 8, device_hash=device and device * 8),
                                limit=limit))
    return arrivals


def _seen(db, outcomes) -> list:
    seen = []
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            text = re.sub(r"-[0-9a-f]{12}\b", "-*", str(outcome)).replace("wave-g", "wave").replace("wave-s", "wave")
            seen.append((type(outcome).__name__, text))
            continue
        response, created = outcome
        flags = [(f.rule, f.detail) for f in quality.flags_of(db, str(response.id))]
        seen.append((created, str(response.id)[:8], response.received_at == NOW, flags))
    return seen


def test_a_group_is_decided_as_its_submissions_one_by_one_in_id_order(db, world):
    instrument, enterprises = world
    plan = _plan(instrument, enterprises)
    with db.transaction() as session:
        grouped = store_arrivals(session, _arrivals(plan, instrument, "wave-g", 1))
    one_by_one = []
    for arrival in sorted(_arrivals(plan, instrument, "wave-s", 2), key=lambda a: str(a.submit.id)):
        with db.transaction() as session:
            one_by_one.append((arrival, store_arrivals(session, [arrival])[0]))
    # answered in the group's order; compare position by position with the one-by-one answers in that order
    by_position = {}
    for arrival, outcome in one_by_one:
        by_position.setdefault(str(arrival.submit.id)[:8], []).append(outcome)
    serial = [f"{p[0]:08x}" for p in plan]
    alone = [by_position[s].pop(0) for s in serial]
    # the rate limit counts in arrival order, the rest in id order: the plan's hot network sends in id order anyway
    assert _seen(db, grouped) == _seen(db, alone)
    kinds = [o[0] if isinstance(o[0], str) else "stored" if o[0] else "again" for o in _seen(db, grouped)]
    assert kinds.count("QuotaFull") == 1 and kinds.count("RateLimited") == 2 and kinds.count("Conflict") == 1
    assert kinds.count("again") == 1 and kinds.count("InvalidInput") == 1
    rules = {rule for seen in _seen(db, grouped) if not isinstance(seen[0], str) for rule, _ in seen[3]}
    assert rules == {"duplicate_network", "velocity", "duplicate_device", "straight_lining"}
    assert count_responses(db, "wave-g") == count_responses(db, "wave-s") == kinds.count("stored")

