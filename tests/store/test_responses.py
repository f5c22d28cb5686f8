"""Storing a response: a resend that races past the first lookup still gets the stored response, not a second row."""

from __future__ import annotations

import datetime as dt
import sys
import uuid

from survey.instruments.catalogue import load_catalogue
from survey.registry import CampaignCreate, EnterpriseCreate
from survey.responses import ResponseSubmit
from survey.store import registry
from survey.store.instruments import register_catalogue
from survey.store.arrivals import store_arrivals
from survey.store.responses import count_responses, submit_response
from tests.api.conftest import USCC, full_answers


def test_a_resend_that_loses_the_race_is_answered_with_the_stored_response(db, monkeypatch):
    catalogue = load_catalogue()
    register_catalogue(db, catalogue)
    today = dt.date.today()
    registry.create_campaign(db, CampaignCreate(
        code="wave-r", title_zh="期", title_en="Wave", industries=["automobile"],
        opens_on=today - dt.timedelta(days=5), closes_on=today + dt.timedelta(days=5), status="open"))
    enterprise = registry.create_enterprise(db, EnterpriseCreate(uscc=USCC, name="示例", industry="automobile",
                                                                 city="440100"))
    instrument = catalogue.get("automobile").instrument
    now = dt.datetime.now(dt.UTC)
    body = ResponseSubmit(
        id=uuid.uuid4(), instrument="automobile", version=instrument.version, campaign="wave-r",
        enterprise=enterprise.id, city="440100", answers=full_answers(instrument),
        started_at=now - dt.timedelta(minutes=5), submitted_at=now)
    first, created = submit_response(db, instrument, body, cities={"440100"})
    assert created
    # The resend's first lookup misses the row, as when a concurrent request commits just after it: the
    # insert then does nothing, and the answer must be the stored response, not a second acknowledgement.
    module = sys.modules[store_arrivals.__module__]
    lookup = module._digests
    misses = iter([True])
    monkeypatch.setattr(module, "_digests", lambda *a: {} if next(misses, False) else lookup(*a))
    again, created = submit_response(db, instrument, body, cities={"440100"})
    assert not created and again == first
    assert count_responses(db, "wave-r") == 1
