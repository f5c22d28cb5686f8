"""The real service in a subprocess (uvicorn, N workers, 127.0.0.1) on a prepared database, for load and fault runs.

Used by tests/load, tests/soak and bench/ingest.py. Traffic goes only to 127.0.0.1; every wait is bounded.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import msgspec
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from survey.instruments.catalogue import load_catalogue
from survey.instruments.spec import ChoiceItem, CityItem, ConsentItem, ScaleItem
from survey.registry import CampaignCreate, EnterpriseCreate, OutletCreate
from survey.store import registry as registry_store
from survey.store.engine import Database, make_engine
from survey.store.instruments import register_catalogue
from survey.store.schema import upgrade

ROOT = Path(__file__).resolve().parents[2]
USCC = "91350100M000100Y43"
SECRET = "load-test-secret-key-0123456789"


class Fixture(msgspec.Struct, frozen=True, kw_only=True):
    """What a valid submission needs: the campaign, enterprise and outlet made by prepare(), and full answers."""

    campaign: str
    enterprise: int
    outlet: int
    version: int
    answers: dict

    def body(self, response_id: uuid.UUID | str, **changes) -> dict:
        now = dt.datetime.now(dt.UTC)
        body = {
            "id": str(response_id), "instrument": "automobile", "version": self.version, "campaign": self.campaign,
            "enterprise": self.enterprise, "outlet": self.outlet, "city": "440100", "locale": "zh",
            "answers": self.answers, "started_at": (now - dt.timedelta(minutes=6)).isoformat(),
            "submitted_at": now.isoformat(),
        }
        return body | changes


def prepare(url: str) -> Fixture:
    """Migrate the database at `url` and register one open campaign, enterprise and outlet."""
    db = Database(make_engine(url))
    try:
        upgrade(db.engine)
        catalogue = load_catalogue()
        register_catalogue(db, catalogue)
        today = dt.date.today()
        campaign = registry_store.create_campaign(db, CampaignCreate(
            code="load-1", title_zh="负载", title_en="Load", industries=["automobile"], status="open",
            opens_on=today - dt.timedelta(days=30), closes_on=today + dt.timedelta(days=30)))
        enterprise = registry_store.create_enterprise(db, EnterpriseCreate(
            uscc=USCC, name="示例汽车服务有限公司", industry="automobile", city="440100"))
        outlet = registry_store.create_outlet(db, OutletCreate(
            enterprise_id=enterprise.id, name="天河站", city="440100", address="天河路1号"))
    finally:
        db.dispose()
    instrument = catalogue.get("automobile").instrument
    answers: dict = {}
    for item in instrument.items():
        if item.relevant is not None:
            continue
        if isinstance(item, ScaleItem):
            answers[item.code] = 8
        elif isinstance(item, ConsentItem):
            answers[item.code] = True
        elif isinstance(item, CityItem):
            answers[item.code] = "440100"
        elif isinstance(item, ChoiceItem):
            codes = [option.code for option in item.options]
            answers[item.code] = "no" if "no" in codes else codes[0]
    return Fixture(campaign=campaign.code, enterprise=enterprise.id, outlet=outlet.id, version=instrument.version,
                   answers=answers)


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of `admin_url`, dropped afterwards."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"survey_load_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PortTaken(RuntimeError):
    """The port was taken between free_port() and the service binding it."""


class Service:
    """`survey serve --workers N`'s worker processes (survey.workers: a listening socket each) in their own process
    group; kill9() ends the supervisor and every worker at once."""

    def __init__(self, url: str, log: Path, *, workers: int = 2, port: int | None = None, **settings: str) -> None:
        self.url = url
        self.log = log
        self.workers = workers
        self._fixed_port = port is not None
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.settings = settings
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> Service:
        """Start and wait until it answers. A port found free can be taken by another process before uvicorn binds
        it: then (the service ends at start saying so) it starts again on another, up to three times."""
        for attempt in range(3):
            try:
                return self._start(timeout)
            except PortTaken:
                if self._fixed_port or attempt == 2:
                    raise
                self.port = free_port()
                self.base_url = f"http://127.0.0.1:{self.port}"
        raise AssertionError("unreachable")

    def _start(self, timeout: float) -> Service:
        env = {key: value for key, value in os.environ.items() if not key.startswith("SURVEY_")}
        env.update({
            "SURVEY_DATABASE_URL": self.url, "SURVEY_SECRET_KEY": SECRET, "SURVEY_COOKIE_SECURE": "false",
            "SURVEY_DATA_DIR": str(self.log.parent / "data"), "SURVEY_SUBMIT_RATE_PER_MINUTE": str(10**9),
            "PYTHONPATH": str(ROOT),
        } | {f"SURVEY_{key.upper()}": value for key, value in self.settings.items()})
        with self.log.open("ab") as log:
            logged = log.tell()  # what this start writes comes after
            self.process = subprocess.Popen(
                [sys.executable, "-m", "survey.workers", "--host", "127.0.0.1", "--port", str(self.port),
                 "--workers", str(self.workers), "--no-access-log", "--log-level", "warning"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                with self.log.open("rb") as log:
                    log.seek(logged)
                    said = log.read().decode(errors="replace").lower()
                if "address already in use" in said:
                    raise PortTaken(self.port)
                raise RuntimeError(f"the service ended at start (exit {self.process.returncode}); see {self.log}")
            try:
                if httpx.get(f"{self.base_url}/api/industries", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill9()
        raise RuntimeError(f"the service did not answer within {timeout} s; see {self.log}")

    def kill9(self) -> None:
        """SIGKILL to the whole process group: the supervisor and every worker, with no chance to clean up."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill9()
        self.process = None

    def __enter__(self) -> Service:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def stored_rows(url: str) -> dict[str, tuple[str, bytes]]:
    """Every stored response: id -> (content_sha256, item_values), read straight from the database."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, content_sha256, item_values FROM response")).all()
    finally:
        engine.dispose()
    return {row[0]: (row[1], bytes(row[2])) for row in rows}


def integrity_problems(url: str) -> list[str]:
    """SQLite's PRAGMA integrity_check (PostgreSQL: rows whose flags or invitation point at no response)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if url.startswith("sqlite"):
                result = [row[0] for row in connection.execute(text("PRAGMA integrity_check"))]
                return [] if result == ["ok"] else result
            orphans = connection.execute(text(
                "SELECT count(*) FROM response_flag f LEFT JOIN response r ON r.id = f.response_id WHERE r.id IS NULL"
            )).scalar_one()
            return [f"{orphans} flags of no response"] if orphans else []
    finally:
        engine.dispose()
