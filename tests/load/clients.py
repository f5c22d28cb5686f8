"""Many clients at once against a real service: each posts responses and keeps what the service acknowledged."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import msgspec

from survey.responses import ResponseSubmit, content_sha256
from tests.load.service import Fixture

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run on a thread of its own: a loop left running on the main thread by another test's fixture (the
    browser tests' Playwright holds one for the session) must not stop these clients."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@dataclass
class Tally:
    """What the clients sent and what came back: acknowledged ids (2xx), statuses, and failed connections."""

    sent: dict[str, str] = field(default_factory=dict)  # id -> content hash of the body sent
    acknowledged: set[str] = field(default_factory=set)
    statuses: Counter = field(default_factory=Counter)
    connection_errors: int = 0

    def server_errors(self) -> dict[int, int]:
        return {status: count for status, count in self.statuses.items() if status >= 500}


def digest(body: dict) -> str:
    return content_sha256(msgspec.convert(body, ResponseSubmit))


async def post(client: httpx.AsyncClient, body: dict, tally: Tally, address: str) -> int | None:
    """One submission; its status, or None when the connection failed (not acknowledged)."""
    tally.sent.setdefault(body["id"], digest(body))
    try:
        answer = await client.post("/api/responses", json=body, headers={"X-Forwarded-For": address})
    except httpx.HTTPError:
        tally.connection_errors += 1
        return None
    tally.statuses[answer.status_code] += 1
    if answer.status_code in (200, 201):
        tally.acknowledged.add(body["id"])
    return answer.status_code


async def run_clients(base_url: str, fixture: Fixture, clients: int, each: int, tally: Tally,
                      deadline_s: float = 300, pause_s: float = 0.0) -> Tally:
    """`clients` concurrent clients, each posting `each` new responses in turn (bounded by `deadline_s`)."""
    stop = time.monotonic() + deadline_s

    async def client_loop(index: int) -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            for _ in range(each):
                if time.monotonic() > stop:
                    return
                await post(client, fixture.body(uuid.uuid4()), tally, f"100.64.{index // 256}.{index % 256}")
                if pause_s:
                    await asyncio.sleep(pause_s)

    await asyncio.gather(*(client_loop(i) for i in range(clients)))
    return tally
