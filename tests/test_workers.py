"""`survey serve --workers N` (survey.workers): a listening socket per worker, connections spread over the workers, a
worker that dies started again, and TCP_NODELAY on what they accept."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time

import httpx
import pytest

from survey.workers import balances, listening_sockets
from tests.load.service import Service, prepare

pytestmark = pytest.mark.skipif(not balances(), reason="SO_REUSEPORT spreads connections on Linux only")


def test_the_sockets_share_one_port_and_what_they_accept_has_nagle_off():
    """A socket made without IPPROTO_TCP accepts connections asyncio leaves with Nagle's algorithm on: every answer
    then waited for the client's delayed ACK (measured: the no-op route fell from 3,600/s to 1,400/s)."""
    sockets = listening_sockets("127.0.0.1", 0, 2)
    port = sockets[0].getsockname()[1]
    assert sockets[1].getsockname()[1] == port

    async def main() -> list[int]:
        seen: list[int] = []

        async def handle(reader, writer):
            seen.append(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        servers = [await asyncio.start_server(handle, sock=sock) for sock in sockets]
        for _ in range(8):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
        for _ in range(1000):  # up to 10 s on a busy machine
            if len(seen) == 8:
                break
            await asyncio.sleep(0.01)
        for server in servers:
            server.close()
        return seen

    try:
        assert asyncio.run(main()) == [1] * 8
    finally:
        for sock in sockets:
            sock.close()


def _workers(service: Service) -> list[int]:
    """The supervisor's live worker processes."""
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if pid.isdigit() and int(fields[1]) == service.process.pid and fields[0] not in "ZX":
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if b"spawn_main" in cmdline.read():  # not the resource tracker
                    found.append(int(pid))
    return sorted(found)


@pytest.fixture
def service(tmp_path):
    url = f"sqlite:///{tmp_path / 'survey.db'}"
    prepare(url)
    with Service(url, tmp_path / "service.log", workers=2) as running:
        deadline = time.monotonic() + 30
        while len(_workers(running)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        yield running


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2) to see which process holds a connection")
def test_keep_alive_connections_are_spread_over_the_workers(service):
    clients = []
    try:
        for _ in range(40):
            client = socket.create_connection(("127.0.0.1", service.port), timeout=5)
            client.sendall(b"GET /api/industries HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert client.recv(12).startswith(b"HTTP/1.1 200")
            clients.append(client)
        listed = subprocess.run(["ss", "-tnpH", "state", "established", f"( sport = :{service.port} )"],
                                capture_output=True, text=True, check=True).stdout
        per_worker = sorted(map(listed.count, (f"pid={pid}," for pid in _workers(service))))
    finally:
        for client in clients:
            client.close()
    # one shared socket gave [0, 40] or close to it; spread by a hash, fewer than 8 on one is a chance of 1 in 10^5
    assert sum(per_worker) == 40 and per_worker[0] >= 8, per_worker


def test_a_worker_killed_is_started_again_and_the_service_answers_throughout(service):
    first = _workers(service)
    assert len(first) == 2
    os.kill(first[0], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = _workers(service)
        if len(now) == 2 and first[0] not in now:
            break
        time.sleep(0.1)
    assert len(now) == 2 and first[0] not in now and first[1] in now
    for _ in range(20):
        assert httpx.get(f"{service.base_url}/api/industries", timeout=10).status_code == 200
    assert "ended (exit -9); starting another" in (service.log.read_text())
