"""kill -9 of the whole service (every worker) at random moments under load: nothing acknowledged is lost, nothing is
stored half or twice. Three rounds here; tests/soak/kill9.py runs twenty."""

from __future__ import annotations

from tests.load.faults import kill9_rounds

ROUNDS = 3


def test_kill_9_under_load_loses_nothing_acknowledged(service_url, tmp_path):
    result = kill9_rounds(service_url, tmp_path, ROUNDS, seed=6, progress=lambda line: None)
    assert result.acknowledged > 0
    assert result.lost == [] and result.foreign == [] and result.integrity == []
    assert result.server_errors == {}
    assert set(result.resent) <= {200, 201}  # a lost answer resent: stored once, whichever way it went
