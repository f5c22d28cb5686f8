"""Engines and transactions: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL by URL."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

try:
    import fcntl
except ImportError:  # not POSIX: SQLite's busy handler alone
    fcntl = None

import msgspec
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from survey.errors import Unavailable
from survey.store.writer import Batch, GroupWriter, WriterStats

SQLITE_BUSY_TIMEOUT_MS = 10_000
T = TypeVar("T")


def make_engine(url: str, *, sqlite_synchronous: str = "FULL") -> Engine:
    """An engine for `url`; a SQLite file's folder is created and its pragmas set on every connection."""
    # JSON columns (answers, item times) written and read with msgspec: the standard library's encoder was a tenth of
    # the cost of storing a group of submissions. Same JSON values; the text is compact and keeps non-ASCII as UTF-8.
    codec = {"json_serializer": json_text, "json_deserializer": msgspec.json.decode}
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **codec)
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                           **codec)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
        # Let SQLAlchemy emit BEGIN itself (below) instead of pysqlite's implicit transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # FULL: a committed transaction survives a power loss as well as kill -9 (NORMAL would not).
        cursor.execute(f"PRAGMA synchronous={sqlite_synchronous}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:  # noqa: ANN001
        # A writer takes the lock up front (IMMEDIATE), so it never fails half way on a lock upgrade;
        # readers (Database.read) begin deferred and never wait for writers under WAL.
        read_only = connection.get_execution_options().get("survey_read_only", False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def json_text(value: Any) -> str:
    """JSON text as the engines write a JSON column (compact, non-ASCII kept as UTF-8)."""
    return msgspec.json.encode(value).decode()


class Database:
    """An engine and its session factory; every store function takes one of these."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._readers = sessionmaker(engine.execution_options(survey_read_only=True), expire_on_commit=False)
        path = engine.url.database if engine.dialect.name == "sqlite" else None
        self._write_lock = WriteLock(path) if path and path != ":memory:" and fcntl else None
        self._writer = GroupWriter(self.transaction, turn=self._locked)

    def grouped(self, work: Callable[[Session], T]) -> T:
        """`work(session)` in this process's group commit (survey.store.writer): it shares one transaction with the
        writes waiting beside it, in a savepoint of its own, and returns once that transaction committed."""
        return self._writer.run(work)

    def grouped_item(self, batch: Batch, item: object) -> Any:
        """`item`'s outcome from `batch` in this process's group commit, where the items of one batch function that
        wait together are handed to it at once (survey.store.writer); returns once the group committed."""
        return self._writer.submit(batch, item).result()

    async def grouped_item_async(self, batch: Batch, item: object) -> Any:
        """grouped_item() for a coroutine: the event loop goes on serving while the group commits."""
        return await self._writer.submit_async(batch, item)

    @property
    def writer_stats(self) -> WriterStats:
        """This process's group writer so far (bench/ingest.py reads it through /bench/writer)."""
        return self._writer.stats

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session inside one transaction: committed on leaving the block, rolled back on error."""
        try:
            with self._locked(), self._sessions() as session, session.begin():
                yield session
        except (OperationalError, InterfaceError) as exc:
            raise Unavailable("the database is unavailable; nothing was stored, try again") from exc

    def _locked(self) -> AbstractContextManager:
        return self._write_lock.held() if self._write_lock is not None else nullcontext()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading only; it does not take SQLite's write lock."""
        try:
            with self._readers() as session, session.begin():
                yield session
        except (OperationalError, InterfaceError) as exc:
            raise Unavailable("the database is unavailable, try again") from exc

    def dispose(self) -> None:
        self._writer.close()
        self.engine.dispose()
        if self._write_lock is not None:
            self._write_lock.close()


class WriteLock:
    """The writers of every process of a SQLite database queue on a file lock beside it, each woken the moment the
    one before it is done. Without it they poll SQLite's own lock, sleeping 1, 2, 5, 10 ... 100 ms between tries
    (its busy handler): with two workers writing groups back to back, that sleep is most of a request's latency.
    SQLite's lock stays the guard (BEGIN IMMEDIATE); this only orders the waiting. The kernel releases both files'
    locks when a process dies.

    A second file is the gate in front of the lock (a turnstile): a writer passes the gate, takes the lock, and only
    then opens the gate behind it. So a writer that has just let go of the lock and wants it again finds the gate
    held by the one already waiting for the lock, and goes after it. With the lock alone, the kernel wakes the waiter
    but the writer that let go, still running, takes the lock back first: measured with two workers, one waited up to
    130 ms for it while the other committed group after group."""

    def __init__(self, database: str) -> None:
        self._paths = (f"{database}.write-gate", f"{database}.write-lock")
        self._thread = threading.RLock()  # flock is per open file: the process's own threads queue here first
        self._fds: tuple[int, int] | None = None
        self._depth = 0  # held by this thread already (a transaction inside one): the files are locked once

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._thread:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            if self._fds is None:
                gate, lock = (os.open(name, os.O_RDWR | os.O_CREAT, 0o600) for name in self._paths)
                self._fds = (gate, lock)
            gate, lock = self._fds
            fcntl.flock(gate, fcntl.LOCK_EX)
            try:
                fcntl.flock(lock, fcntl.LOCK_EX)
            finally:
                fcntl.flock(gate, fcntl.LOCK_UN)
            self._depth = 1
            try:
                yield
            finally:
                self._depth = 0
                fcntl.flock(lock, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._thread:
            if self._fds is not None:
                for fd in self._fds:
                    os.close(fd)
                self._fds = None
