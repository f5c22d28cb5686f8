"""survey serve's processes freeze what the started app holds out of the garbage collector and take turns on the
interpreter lock every 20 ms (survey.api.app.served); an app built by create_app alone, as tests build hundreds, does
neither."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import gc, sys
from pathlib import Path
from litestar.testing import TestClient
from survey.api.app import create_app, served
from tests.api.conftest import make_settings

tmp = Path(sys.argv[1])
app = create_app(make_settings(f"sqlite:///{tmp}/survey.db", tmp), migrate=True)
with TestClient(served(app) if sys.argv[2] == "served" else app) as client:
    assert client.get("/api/industries").status_code == 200
    print(gc.get_freeze_count(), sys.getswitchinterval())
"""


@pytest.mark.parametrize("how", ["served", "built"])
def test_a_served_app_freezes_its_heap_and_lengthens_the_switch_interval_once_started(tmp_path, how):
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path), how], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    frozen, interval = done.stdout.strip().splitlines()[-1].split()
    assert (int(frozen) > 100_000) if how == "served" else (int(frozen) == 0), frozen
    assert float(interval) == (0.02 if how == "served" else 0.005), interval
