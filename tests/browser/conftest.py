"""Browser tests: the real service (`survey serve` in a subprocess, demo wave on a fresh SQLite file) driven by Debian's
Chromium through Playwright, in a 360x640 phone viewport.

Every test here carries the `browser` marker (`-m "not browser"` leaves them out) and skips, saying why, where
Playwright or /usr/bin/chromium is missing; `.ci/run` installs Debian's chromium and fonts-noto-cjk and sets
SURVEY_TEST_REQUIRE_BROWSER=1, so there a missing browser fails instead. No browser is ever downloaded: Playwright
only drives the Debian build. Screenshots go to tests/artifacts/<test name>/.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:  # playwright may be missing: then every test here skips
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
PHONE = {"width": 360, "height": 640}
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
START_SECONDS = 240  # migrations, the demo wave and its release (about 15 s alone; slower on a busy 2-core machine)
HERE = Path(__file__).resolve().parent
REQUIRE_BROWSER = os.environ.get("SURVEY_TEST_REQUIRE_BROWSER") == "1"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Chromium against `survey serve` (tests/browser)")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


OUTCOME = pytest.StashKey[dict[str, pytest.TestReport]]()  # each phase's report, so `page` can see a failure


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[pytest.TestReport]:
    report = yield
    item.stash.setdefault(OUTCOME, {})[report.when] = report
    return report


def why_no_browser() -> str | None:
    """The reason browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed (pip install -e '.[test]')"
    if not CHROMIUM.exists():
        return f"Debian's Chromium is not at {CHROMIUM} (apt-get install chromium fonts-noto-cjk; .ci/run does)"
    return None


class Service:
    """The running `survey serve`: where it answers and where its embedded database and files are."""

    def __init__(self, base_url: str, home: Path, process: subprocess.Popen, log: Path) -> None:
        self.base_url = base_url
        self.home = home
        self.process = process
        self.log = log

    def admin_headers(self) -> dict[str, str]:
        """A bearer token of the local administrator that `survey serve` created (password beside the database)."""
        password = (self.home / "admin-password").read_text().strip()
        answer = httpx.post(f"{self.base_url}/api/tokens", json={"username": "admin", "password": password}, timeout=30)
        answer.raise_for_status()
        return {"Authorization": f"Bearer {answer.json()['token']}"}

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """`survey serve` on a free port with a new SQLite file: it migrates, creates the demo wave and release, serves."""
    reason = why_no_browser()
    if reason:
        (pytest.fail if REQUIRE_BROWSER else pytest.skip)(reason)
    home = tmp_path_factory.mktemp("service")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("SURVEY_")}
    env |= {
        "SURVEY_DATABASE_URL": f"sqlite:///{home}/survey.db",
        "SURVEY_DATA_DIR": str(home / "data"),
        "SURVEY_SECRET_KEY": "browser-tests-secret-key-0123456789",
        "SURVEY_DEMO": "true",
        "SURVEY_SQLITE_SYNCHRONOUS": "NORMAL",
    }
    log = home / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "survey", "serve", "--port", str(port)], cwd=home, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    running = Service(f"http://127.0.0.1:{port}", home, process, log)
    try:
        _wait_until_it_answers(running)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


def _wait_until_it_answers(service: Service) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            pytest.fail(f"survey serve exited with {service.process.returncode}:\n{service.log_tail()}")
        try:
            if httpx.get(service.base_url + "/", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"survey serve did not answer within {START_SECONDS} s:\n{service.log_tail()}")


@pytest.fixture(scope="module")
def browser(service: Service) -> Iterator[Browser]:
    """Per module: Playwright's sync API keeps an event loop running on the main thread while it is open, which
    would stop asyncio.run in the tests that come after these."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser, service: Service) -> Iterator[BrowserContext]:
    """A fresh phone: no cookies, 360x640, touch."""
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, base_url=service.base_url,
                                accept_downloads=True)
    phone.set_default_timeout(15_000)
    yield phone
    phone.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest, shot: Callable) -> Iterator[Page]:
    """A tab on that phone; a test that fails leaves a screenshot of where it stood."""
    tab = context.new_page()
    yield tab
    outcome = request.node.stash.get(OUTCOME, {}).get("call")
    if outcome is not None and outcome.failed and not tab.is_closed():
        shot(tab, "failed")


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable:
    """shot(page, "step") writes tests/artifacts/<test name>/<nn>-<step>.png, the whole page."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    shutil.rmtree(folder, ignore_errors=True)
    taken: list[Path] = []

    def take(tab: Page, step: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{len(taken) + 1:02d}-{step}.png"
        tab.screenshot(path=path, full_page=True)
        taken.append(path)
        return path

    return take


def fits_phone(tab: Page) -> None:
    """The page needs no sideways scrolling at 360 px (tables may scroll inside their own box)."""
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{tab.url} is {width} px wide at a {PHONE['width']} px viewport"
