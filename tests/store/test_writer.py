"""Group commit: writes waiting together share a transaction, each in its own savepoint; each answer comes after the
commit; a write's own error fails only that write."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from survey.errors import Conflict, FieldError, InvalidInput
from survey.store.limits import RateLimit, take
from survey.store.writer import GroupWriter


def _count(db, key_prefix: str) -> int:
    with db.read() as session:
        return session.execute(text("SELECT count(*) FROM rate_count WHERE key LIKE :k"), {"k": key_prefix + "%"}).scalar_one()


def _write(key: str, fail: type[Exception] | None = None):
    def work(session):
        take(session, RateLimit(key=key, hits=10, window_s=3600), now=1_800_000_000)
        if fail is InvalidInput:
            raise InvalidInput([FieldError(field="x", reason="broken on purpose")])
        if fail is not None:
            raise fail("broken on purpose")
        return key
    return work


def test_writes_that_wait_together_commit_together_and_a_broken_one_alone_is_refused(db):
    gate = threading.Event()
    writer = GroupWriter(db.transaction)
    works = [_write(f"g:{n}", InvalidInput if n == 3 else Conflict if n == 5 else None) for n in range(8)]

    def blocked_then_all(pool):
        first = pool.submit(writer.run, lambda session: gate.wait(10))  # holds the writer while the others queue up
        futures = [pool.submit(writer.run, work) for work in works]
        gate.set()
        first.result()
        return futures

    with ThreadPoolExecutor(9) as pool:
        futures = blocked_then_all(pool)
        outcomes = []
        for future in futures:
            try:
                outcomes.append(future.result())
            except (InvalidInput, Conflict) as exc:
                outcomes.append(type(exc).__name__)
    writer.close()
    assert outcomes == ["g:0", "g:1", "g:2", "InvalidInput", "g:4", "Conflict", "g:6", "g:7"]
    assert _count(db, "g:") == 6  # the refused writes' counters rolled back with their savepoints


def test_an_unexpected_error_fails_only_its_own_write(db):
    writer = GroupWriter(db.transaction)
    with ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(writer.run, _write(f"u:{n}", RuntimeError if n == 2 else None)) for n in range(6)]
        results = []
        for future in futures:
            try:
                results.append(future.result())
            except RuntimeError:
                results.append("RuntimeError")
    writer.close()
    assert results == ["u:0", "u:1", "RuntimeError", "u:3", "u:4", "u:5"]
    assert _count(db, "u:") == 5


def test_a_database_that_fails_fails_the_group_and_stores_nothing(db):
    from survey.errors import Unavailable

    @contextmanager
    def broken():
        with db.transaction() as session:
            yield session
            raise Unavailable("the database went away at commit")

    writer = GroupWriter(broken)
    with pytest.raises(Unavailable):
        writer.run(_write("b:1"))
    writer.close()
    assert _count(db, "b:") == 0


def _echo(session, items):
    """A batch function: each item back, or refused when it asks to be."""
    session.execute(text("SELECT 1"))
    return [InvalidInput([FieldError(field="x", reason="refused")]) if item < 0 else item * 10 for item in items]


def test_a_coroutine_awaits_its_item_of_the_batch_and_a_request_gone_away_does_not_stop_the_group(db):
    import asyncio

    writer = GroupWriter(db.transaction)

    async def main():
        futures = [writer.submit_async(_echo, item) for item in (1, 2, -3, 4)]
        futures[3].cancel()  # its client disconnected: the others are answered all the same
        return await asyncio.gather(*futures[:3], return_exceptions=True)

    answers = asyncio.run(main())
    writer.close()
    assert answers[:2] == [10, 20] and isinstance(answers[2], InvalidInput)


def _sizes(sizes: list[int]):
    def batch(session, items):
        sizes.append(len(items))
        return list(items)
    return batch


def test_the_group_is_taken_when_the_writer_gets_its_turn_so_what_came_meanwhile_joins_it(db):
    """SQLite's writers wait for the file lock (their turn): the writes that queue up during that wait go into the
    group that was waiting, not into a next one."""
    asked, go = threading.Event(), threading.Event()

    @contextmanager
    def turn():
        asked.set()
        assert go.wait(10)
        yield

    sizes: list[int] = []
    writer = GroupWriter(db.transaction, turn=turn)
    batch = _sizes(sizes)
    futures = [writer.submit(batch, 0)]
    assert asked.wait(10)  # the writer holds the first write and waits for its turn
    futures += [writer.submit(batch, n) for n in range(1, 5)]
    go.set()
    answers = [future.result(timeout=10) for future in futures]
    writer.close()
    assert answers == [0, 1, 2, 3, 4] and sizes == [5]


def test_the_writer_counts_its_groups_writes_and_the_time_it_waited_for_and_held_its_turn(db):
    """What bench/ingest.py reads through /bench/writer: the group above, counted (the wait for the turn is at least
    the 0.05 s a turn made it wait each time)."""
    @contextmanager
    def turn():
        time.sleep(0.05)
        yield

    writer = GroupWriter(db.transaction, turn=turn)
    assert writer.stats == (0, 0, 0.0, 0.0, 0.0)
    batch = _sizes([])
    assert [writer.submit(batch, n).result(timeout=10) for n in range(3)] == [0, 1, 2]  # one at a time
    writer.close()
    stats = writer.stats
    assert (stats.groups, stats.writes) == (3, 3)
    assert stats.turn_wait_s >= 0.15 and stats.held_s > 0 and stats.cpu_s > 0
