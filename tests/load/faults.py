"""Fault runs shared by the tests (a few rounds) and tests/soak (many): kill -9 of the service under load."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.load.clients import Tally, post, run
from tests.load.service import Fixture, Service, integrity_problems, prepare, stored_rows


@dataclass
class KillRounds:
    rounds: int
    acknowledged: int
    stored: int
    lost: list[str]  # acknowledged but not stored: must stay empty
    foreign: list[str]  # stored with content no client sent for that id (a partial or mixed row): must stay empty
    integrity: list[str]
    resent: dict[int, int]  # the answers to resending every request whose outcome the client never learned
    server_errors: dict[int, int]


async def _load_until(base_url: str, fixture: Fixture, clients: int, stop_at: float, tally: Tally,
                      unknown: list[dict]) -> None:
    async def client_loop(index: int) -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
            while time.monotonic() < stop_at:
                body = fixture.body(uuid.uuid4())
                if await post(client, body, tally, f"100.66.0.{index}") is None:
                    unknown.append(body)  # maybe stored, maybe not: resent at the end
                    await asyncio.sleep(0.05)

    await asyncio.gather(*(client_loop(i) for i in range(clients)))


def kill9_rounds(url: str, folder: Path, rounds: int, *, clients: int = 16, seed: int | None = None,
                 progress=print) -> KillRounds:
    """Start the service, load it, kill -9 every process of it at a random moment, check the database; repeat.
    At the end, resend every request whose outcome was lost with the connection: each is stored exactly once."""
    chance = random.Random(seed)
    fixture = prepare(url)
    service = Service(url, folder / "service.log", workers=2)
    tally, unknown = Tally(), []
    integrity: list[str] = []
    for number in range(1, rounds + 1):
        service.start()
        kill_after = chance.uniform(0.3, 2.5)

        async def round_() -> None:
            loop = asyncio.get_running_loop()
            load = asyncio.ensure_future(_load_until(service.base_url, fixture, clients, time.monotonic()
                                                     + kill_after + 1.0, tally, unknown))
            await asyncio.sleep(kill_after)
            await loop.run_in_executor(None, service.kill9)
            await load

        run(round_())
        integrity += [f"round {number}: {problem}" for problem in integrity_problems(url)]
        stored = stored_rows(url)
        progress(f"round {number}/{rounds}: killed after {kill_after:.2f} s; acknowledged so far "
                 f"{len(tally.acknowledged)}, stored {len(stored)}, lost {len(tally.acknowledged - stored.keys())}")
    service.start()
    resent = Tally()

    async def resend() -> None:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as client:
            for start in range(0, len(unknown), 32):
                await asyncio.gather(*(post(client, body, resent, "100.66.1.1") for body in unknown[start:start + 32]))

    try:
        run(resend())
    finally:
        service.stop()
    stored = stored_rows(url)
    sent = tally.sent
    return KillRounds(
        rounds=rounds, acknowledged=len(tally.acknowledged), stored=len(stored),
        lost=sorted(tally.acknowledged - stored.keys()),
        foreign=sorted(key for key, (digest, _) in stored.items() if sent.get(key) != digest),
        integrity=integrity + integrity_problems(url), resent=dict(resent.statuses),
        server_errors={**tally.server_errors(), **resent.server_errors()},
    )
