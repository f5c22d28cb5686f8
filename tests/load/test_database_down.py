"""PostgreSQL gone under load (a TCP proxy in front of it is cut, the server itself is left alone for other tests):
the service answers 503 with Retry-After while it is gone, never 500, loses nothing it acknowledged, and takes
submissions again once the database is back."""

from __future__ import annotations

import time
import uuid

import httpx

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL
from tests.load.clients import Tally, run, run_clients
from tests.load.proxy import Proxy
from tests.load.service import Service, prepare, stored_rows


def phase(base_url, fixture, seconds: float) -> Tally:
    """16 clients posting new responses for about `seconds` (bounded)."""
    return run(run_clients(base_url, fixture, 16, 10_000, Tally(), deadline_s=seconds, pause_s=0.02))


def recovered(base_url, fixture, within_s: float) -> str | None:
    """The id of the first submission stored again within `within_s` seconds of the database's return, or None."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        body = fixture.body(uuid.uuid4())
        try:
            if httpx.post(f"{base_url}/api/responses", json=body, timeout=10).status_code == 201:
                return body["id"]
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return None


def test_postgresql_cut_under_load_is_503_then_recovers(service_url, tmp_path):
    if not service_url.startswith("postgresql"):
        pytest.skip("the database server is cut through a proxy: PostgreSQL only (SQLite is a file in the process)")
    fixture = prepare(service_url)
    real = make_url(service_url)
    with Proxy(real.host or "127.0.0.1", real.port or 5432) as proxy:
        through = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        with Service(through, tmp_path / "service.log", workers=2) as service:
            before = phase(service.base_url, fixture, 1.5)
            proxy.cut()
            cut_at = time.monotonic()
            during = phase(service.base_url, fixture, 2.5)
            one = httpx.post(f"{service.base_url}/api/responses", json=fixture.body(uuid.uuid4()), timeout=10)
            proxy.restore()
            back = recovered(service.base_url, fixture, 30)
            after = phase(service.base_url, fixture, 3.0)
            down_for = time.monotonic() - cut_at
    assert before.statuses.keys() == {201}
    assert one.status_code == 503 and one.headers["retry-after"] == "1" and "Traceback" not in one.text
    assert 503 in during.statuses and set(during.statuses) <= {201, 503}, during.statuses
    assert after.statuses[201] > 0 and set(after.statuses) <= {201, 503}, (after.statuses, after.connection_errors)
    assert during.connection_errors == 0 and back and down_for < 60
    stored = stored_rows(service_url)
    acknowledged = before.acknowledged | during.acknowledged | after.acknowledged
    assert acknowledged <= stored.keys()  # nothing acknowledged is lost
    sent = before.sent.keys() | during.sent.keys() | after.sent.keys() | {back}
    assert stored.keys() <= sent  # the 503 probe, sent while the database was gone, stored nothing
