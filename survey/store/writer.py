"""Group commit: the submissions of one process share a writer thread that commits them a group at a time.

Under load many requests wait for the database at once. Rather than each taking the write lock, writing and
waiting for its own flush to disk (SQLite: one writer at a time, busy waits; PostgreSQL: a WAL flush per commit),
each hands its write to this process's writer thread, which takes whatever is waiting (up to `max_group`) once it
is its turn (SQLite: once it holds the file lock, which another worker's writer may hold) and commits it in one
transaction. Each request is answered only after the commit of its group, so an acknowledged
write is a committed one, as before.

A write is either a callable, run in a savepoint of its own (one that breaks a rule, InvalidInput, Conflict, ...,
rolls back its own savepoint only), or an item of a batch: the items of one batch function waiting together are
handed to it at once, so that it can ask the database one question for all of them instead of one each
(survey/store/arrivals.py); it answers each item with a value or a rule's error. A database that fails fails the
whole group (Unavailable: nothing of it stored), except a deadlock with another worker's group, after which each
write is tried again alone; any other error runs the group's writes again one transaction each, so only the write
that raised it fails.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager, nullcontext
from typing import Any, NamedTuple, TypeVar

from sqlalchemy.orm import Session

from survey.errors import Conflict, InvalidInput, NotFound, RateLimited, Unavailable

T = TypeVar("T")
RULE_ERRORS = (InvalidInput, Conflict, NotFound, RateLimited)  # the write's own answer, not the group's failure
RETRY_STATES = {"40P01", "40001"}  # PostgreSQL: deadlock detected, serialization failure (it asks for a retry)
RETRIES = 4
Work = Callable[[Session], object]
# A batch function: the items in, one outcome per item out (a value, or the rule error that refuses the item).
Batch = Callable[[Session, Sequence[Any]], list[object]]
_SINGLE = object()  # the item of a callable write


class WriterStats(NamedTuple):
    """What a writer did so far: how long it waited for its turn and held it, and how much of the holding was its own
    CPU time. The rest of the holding is waiting: for a core, for the interpreter lock, for the disk. On SQLite the
    turn is the database's one write lock, shared by every worker, so writes / held_s is the most it can store per
    second (bench/ingest.py prints these figures). A group is counted once its turn is over, just after its writes
    were answered."""

    groups: int = 0
    writes: int = 0
    turn_wait_s: float = 0.0
    held_s: float = 0.0
    cpu_s: float = 0.0


class _Entry:
    __slots__ = ("batch", "item", "future")

    def __init__(self, batch: Batch | Work, item: object, future: Future | asyncio.Future) -> None:
        self.batch, self.item, self.future = batch, item, future


class GroupWriter:
    """A writer thread over `transaction` (Database.transaction), started on first use."""

    def __init__(self, transaction: Callable, max_group: int = 256,
                 turn: Callable[[], AbstractContextManager] = nullcontext) -> None:
        self._transaction = transaction
        self._max_group = max_group
        self._turn = turn
        self._queue: queue.SimpleQueue[_Entry | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.stats = WriterStats()  # replaced by the writer thread after each group

    def run(self, work: Callable[[Session], T]) -> T:
        """`work(session)` inside a group's transaction; returns (or raises) once that transaction committed."""
        return self._put(work, _SINGLE).result()

    def submit(self, batch: Batch, item: object) -> Future:
        """A future of `item`'s outcome from `batch(session, [..., item, ...])`, set once its group committed."""
        return self._put(batch, item)

    def submit_async(self, batch: Batch, item: object) -> asyncio.Future:
        """submit() for a coroutine: an asyncio future of the running loop. A group's futures of one loop are
        settled by one call into that loop, not a wake-up each (which cost more than the write itself)."""
        future = asyncio.get_running_loop().create_future()
        self._ensure_thread()
        self._queue.put(_Entry(batch, item, future))
        return future

    def close(self) -> None:
        with self._lock:
            if self._thread is not None:
                self._queue.put(None)
                self._thread.join(timeout=30)
                self._thread = None

    def _put(self, batch: Batch | Work, item: object) -> Future:
        future: Future = Future()
        self._ensure_thread()
        self._queue.put(_Entry(batch, item, future))
        return future

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
            # The group is taken once it is this writer's turn (SQLite: the file lock, which another worker may hold
            # for a while): what arrived during the wait goes into this group, not the next one.
            asked = time.perf_counter()
            with self._turn():
                given, cpu = time.perf_counter(), time.thread_time()
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
            done, stats = time.perf_counter(), self.stats
            self.stats = WriterStats(stats.groups + 1, stats.writes + len(group), stats.turn_wait_s + given - asked,
                                     stats.held_s + done - given, stats.cpu_s + time.thread_time() - cpu)

    def _commit(self, group: list[_Entry], attempt: int = 1) -> None:
        outcomes: list[tuple[Future, object, BaseException | None]] = []
        try:
            with self._transaction() as session:
                for batch, entries in _runs(group):
                    if batch is None:
                        for entry in entries:
                            try:
                                with session.begin_nested():
                                    outcomes.append((entry.future, entry.batch(session), None))
                            except RULE_ERRORS as exc:
                                outcomes.append((entry.future, None, exc))
                        continue
                    try:
                        answers = batch(session, [entry.item for entry in entries])
                    except RULE_ERRORS as exc:
                        if len(entries) > 1:
                            raise  # not an item's answer: each is tried alone (below)
                        answers = [exc]
                    for entry, answer in zip(entries, answers, strict=True):
                        failed = isinstance(answer, RULE_ERRORS)
                        outcomes.append((entry.future, None if failed else answer, answer if failed else None))
        except Unavailable as exc:
            if _asks_for_retry(exc) and attempt < RETRIES:
                for entry in group:  # alone this time: two groups that took the same rows in turn cannot again
                    self._commit([entry], attempt + 1)
                return
            _settle([(entry.future, None, exc) for entry in group])
            return
        except BaseException as exc:  # noqa: BLE001 - a write's own bug must not fail the others with it
            if len(group) == 1:
                _settle([(group[0].future, None, exc)])
                return
            for entry in group:
                self._commit([entry])
            return
        _settle(outcomes)


def _settle(outcomes: list[tuple[Future | asyncio.Future, object, BaseException | None]]) -> None:
    """Set each future's value or error: a thread's futures here, an event loop's in one call into that loop."""
    loops: dict[asyncio.AbstractEventLoop, list] = {}
    for outcome in outcomes:
        future = outcome[0]
        if isinstance(future, asyncio.Future):
            loops.setdefault(future.get_loop(), []).append(outcome)
        elif outcome[2] is None:
            future.set_result(outcome[1])
        else:
            future.set_exception(outcome[2])
    for loop, settled in loops.items():
        try:
            loop.call_soon_threadsafe(_settle_in_loop, settled)
        except RuntimeError:
            pass  # the loop closed (the service stopped): no one waits for these answers


def _settle_in_loop(outcomes: list[tuple[asyncio.Future, object, BaseException | None]]) -> None:
    for future, value, error in outcomes:
        if future.done():
            continue  # the request went away (its task was cancelled); its write stands
        if error is None:
            future.set_result(value)
        else:
            future.set_exception(error)


def _runs(group: list[_Entry]) -> list[tuple[Batch | None, list[_Entry]]]:
    """The group's callables (batch None) in order, then the items of each batch function together."""
    singles = [entry for entry in group if entry.item is _SINGLE]
    batches: dict[Batch, list[_Entry]] = {}
    for entry in group:
        if entry.item is not _SINGLE:
            batches.setdefault(entry.batch, []).append(entry)
    return ([(None, singles)] if singles else []) + list(batches.items())


def _asks_for_retry(exc: Unavailable) -> bool:
    """Whether the database refused the transaction only for a race with another one (two workers' groups that
    inserted the same ids in opposite orders deadlock on PostgreSQL): then the writes are tried again."""
    return getattr(getattr(exc.__cause__, "orig", None), "sqlstate", None) in RETRY_STATES
