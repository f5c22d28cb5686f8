"""The load tests' service runner (tests/load/service.py): a port taken between choosing it and binding it is not a
failed run, the service starts again on another."""

from __future__ import annotations

import socket

import httpx

from tests.load.service import Service, prepare


def test_a_port_taken_before_the_service_binds_it_is_replaced(tmp_path):
    url = f"sqlite:///{tmp_path}/survey.db"
    prepare(url)
    service = Service(url, tmp_path / "service.log", workers=1)
    taken = service.port
    with socket.socket() as squatter:  # another process takes the port free_port() found
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 0)
        squatter.bind(("127.0.0.1", taken))
        squatter.listen()
        with service:
            assert service.port != taken
            assert httpx.get(f"{service.base_url}/api/industries", timeout=10).status_code == 200
    assert "address already in use" in (tmp_path / "service.log").read_text().lower()
