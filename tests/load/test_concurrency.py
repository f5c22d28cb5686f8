"""Many clients at once against the real service (2 uvicorn workers): every response stored once, none lost, no 5xx."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.load.clients import Tally, digest, post, run, run_clients
from tests.load.service import Service, integrity_problems, prepare, stored_rows

CLIENTS = 32
EACH = 25


def test_many_clients_at_once_store_exactly_what_was_acknowledged(service_url, tmp_path):
    fixture = prepare(service_url)
    with Service(service_url, tmp_path / "service.log", workers=2) as service:
        tally = run(run_clients(service.base_url, fixture, CLIENTS, EACH, Tally()))
    stored = stored_rows(service_url)
    assert tally.statuses == {201: CLIENTS * EACH} and tally.connection_errors == 0
    assert set(stored) == tally.acknowledged and len(stored) == CLIENTS * EACH
    assert {key: stored[key][0] for key in stored} == tally.sent  # each row holds the content its client sent
    assert integrity_problems(service_url) == []


def test_the_same_uuid_sent_at_once_is_stored_once_and_other_content_under_it_is_refused(service_url, tmp_path):
    fixture = prepare(service_url)
    bodies = [fixture.body(uuid.uuid4()) for _ in range(40)]

    async def scenario() -> tuple[Tally, list[int | None]]:
        tally = Tally()
        async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as client:
            await asyncio.gather(*(post(client, body, tally, f"100.65.0.{n}") for body in bodies for n in range(3)))
            changed = [dict(body, answers=dict(body["answers"], sat1=3)) for body in bodies]
            conflicts = await asyncio.gather(*(post(client, body, Tally(), "100.65.1.1") for body in changed))
        return tally, conflicts

    with Service(service_url, tmp_path / "service.log", workers=2) as service:
        tally, conflicts = run(scenario())
    assert tally.statuses == {201: len(bodies), 200: 2 * len(bodies)}  # one stored, two answered with it
    assert conflicts == [409] * len(bodies)
    stored = stored_rows(service_url)
    assert len(stored) == len(bodies)
    assert {key: value[0] for key, value in stored.items()} == {body["id"]: digest(body) for body in bodies}
    assert integrity_problems(service_url) == []
