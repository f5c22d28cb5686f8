"""Load and fault tests: the real service in a subprocess (tests/load/service.py) on SQLite and PostgreSQL.

They take a few minutes together; `-m "not load"` leaves them out. The long versions are scripts under tests/soak/.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES
from tests.load.service import postgres_database


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/load/" in str(item.fspath):
            item.add_marker(pytest.mark.load)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "load: a real service in a subprocess under load or faults (tests/load)")


@pytest.fixture(params=["sqlite", "postgresql"])
def service_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """An empty database of each kind for one service (not migrated: prepare() does that)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/survey.db"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need SURVEY_TEST_POSTGRES_URL (CI sets it; see .ci/run)")
    try:
        context = postgres_database(POSTGRES_URL)
        url = context.__enter__()
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server means the same here
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is required here but unreachable: {exc}")
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc}")
    try:
        yield url
    finally:
        context.__exit__(None, None, None)
