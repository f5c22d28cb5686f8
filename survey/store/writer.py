"""Group commit: the submissions of one process share a writer thread that commits them a group at a time.

Under load many requests wait for the database at once. Rather than each taking the write lock, writing and
waiting for its own flush to disk (SQLite: one writer at a time, busy waits; PostgreSQL: a WAL flush per commit),
each hands its write to this process's writer thread, which takes whatever is waiting (up to `max_group`), runs each
in a savepoint of one transaction and commits once. Each request is answered only after the commit of its group, so
an acknowledged write is a committed one, as before. One write that breaks a rule (InvalidInput, Conflict, ...)
rolls back its own savepoint only; a database that fails fails the whole group (Unavailable: nothing of it stored),
except a deadlock with another worker's group, after which each write is tried again alone; any other error runs
the group's writes again one transaction each, so only the write that raised it fails.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

from sqlalchemy.orm import Session

from survey.errors import Conflict, InvalidInput, NotFound, RateLimited, Unavailable

T = TypeVar("T")
RULE_ERRORS = (InvalidInput, Conflict, NotFound, RateLimited)  # the write's own answer, not the group's failure
RETRY_STATES = {"40P01", "40001"}  # PostgreSQL: deadlock detected, serialization failure (it asks for a retry)
RETRIES = 4
Work = Callable[[Session], object]


class GroupWriter:
    """A writer thread over `transaction` (Database.transaction), started on first use."""

    def __init__(self, transaction: Callable, max_group: int = 64) -> None:
        self._transaction = transaction
        self._max_group = max_group
        self._queue: queue.SimpleQueue[tuple[Work, Future] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run(self, work: Callable[[Session], T]) -> T:
        """`work(session)` inside a group's transaction; returns (or raises) once that transaction committed."""
        future: Future = Future()
        self._ensure_thread()
        self._queue.put((work, future))
        return future.result()

    def close(self) -> None:
        with self._lock:
            if self._thread is not None:
                self._queue.put(None)
                self._thread.join(timeout=30)
                self._thread = None

    def _ensure_thread(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, name="survey-group-writer", daemon=True)
                    self._thread.start()

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            while len(group) < self._max_group:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop after this group
                    break
                group.append(item)
            self._commit(group)

    def _commit(self, group: list[tuple[Work, Future]], attempt: int = 1) -> None:
        outcomes: list[tuple[Future, object, BaseException | None]] = []
        try:
            with self._transaction() as session:
                for work, future in group:
                    try:
                        with session.begin_nested():
                            outcomes.append((future, work(session), None))
                    except RULE_ERRORS as exc:
                        outcomes.append((future, None, exc))
        except Unavailable as exc:
            if _asks_for_retry(exc) and attempt < RETRIES:
                for item in group:  # alone this time: two groups that took the same rows in turn cannot again
                    self._commit([item], attempt + 1)
                return
            for _, future in group:
                future.set_exception(exc)
            return
        except BaseException as exc:  # noqa: BLE001 - a write's own bug must not fail the others with it
            if len(group) == 1:
                group[0][1].set_exception(exc)
                return
            for item in group:
                self._commit([item])
            return
        for future, value, error in outcomes:
            if error is None:
                future.set_result(value)
            else:
                future.set_exception(error)


def _asks_for_retry(exc: Unavailable) -> bool:
    """Whether the database refused the transaction only for a race with another one (two workers' groups that
    inserted the same ids in opposite orders deadlock on PostgreSQL): then the writes are tried again."""
    return getattr(getattr(exc.__cause__, "orig", None), "sqlstate", None) in RETRY_STATES
