"""The benchmark's routes (survey/api/bench.py): there only with bench_noop, and the checks route answers as a
submission would while storing nothing."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from survey.api import create_app
from survey.store.responses import count_responses
from tests.api.conftest import admin_client, make_settings, submission


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """The conftest's client, with the benchmark's routes compiled in."""
    with admin_client(database_url, tmp_path, bench_noop=True) as client:
        yield client


def _count(client: TestClient) -> int:
    return count_responses(client.app.state.context.db)


def test_the_checks_route_answers_what_a_submission_stores_and_stores_nothing(client, registry):
    body = submission(client, registry)
    checked = client.post("/bench/checks", json=body)
    assert checked.status_code == 201, checked.text
    assert _count(client) == 0
    stored = client.post("/api/responses", json=body)
    assert stored.status_code == 201, stored.text
    received = ("received_at",)  # the moment of each answer differs
    assert {k: v for k, v in checked.json().items() if k not in received} == {
        k: v for k, v in stored.json().items() if k not in received}


def test_the_checks_route_refuses_what_the_checks_refuse(client, registry):
    body = submission(client, registry)
    body["answers"] = dict(body["answers"], sat1=11)
    answer = client.post("/bench/checks", json=body)
    assert answer.status_code == 422
    assert any(error["field"] == "answers.sat1" for error in answer.json()["errors"]), answer.text


def test_the_noop_route_reads_the_body_and_stores_nothing(client, registry):
    answer = client.post("/bench/noop", json=submission(client, registry))
    assert (answer.status_code, answer.json(), _count(client)) == (201, {"ok": True}, 0)


def test_without_the_setting_there_are_no_benchmark_routes(database_url, tmp_path):
    with TestClient(create_app(make_settings(database_url, tmp_path), migrate=True)) as client:
        for path in ("/bench/noop", "/bench/checks"):
            assert client.post(path, json={}).status_code == 404
        assert client.get("/bench/writer").status_code == 404


def test_the_writer_route_counts_the_group_writes_of_the_worker_that_answers(client, registry):
    before = client.get("/bench/writer").json()
    assert client.post("/api/responses", json=submission(client, registry)).status_code == 201
    # the writer answers the request inside its turn and counts the group after it: wait (bounded) for the count
    deadline = time.monotonic() + 10
    while (after := client.get("/bench/writer").json())["groups"] == before["groups"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert after["pid"] == before["pid"] == os.getpid()
    assert (after["groups"] - before["groups"], after["writes"] - before["writes"]) == (1, 1)
    assert after["held_s"] > before["held_s"] and after["cpu_s"] > before["cpu_s"]
