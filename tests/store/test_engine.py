"""The SQLite writers' file lock (survey.store.engine.WriteLock): one writer at a time, and a waiting writer is not
passed over by one that lets go and asks again."""

from __future__ import annotations

import threading
import time

from survey.store.engine import WriteLock


def test_one_writer_at_a_time_and_a_transaction_inside_one_takes_no_second_lock(tmp_path):
    first, second = WriteLock(str(tmp_path / "s.db")), WriteLock(str(tmp_path / "s.db"))  # as two processes have
    inside: list[int] = []
    overlap: list[bool] = []

    def write(lock: WriteLock, name: int) -> None:
        for _ in range(20):
            with lock.held():
                with lock.held():  # nested in the same thread: no deadlock, and leaving it keeps the outer's lock
                    pass
                inside.append(name)
                overlap.append(len(set(inside)) > 1)
                time.sleep(0.001)
                inside.remove(name)

    threads = [threading.Thread(target=write, args=(lock, n)) for n, lock in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    first.close()
    second.close()
    assert len(overlap) == 40 and not any(overlap)


def test_a_waiting_writer_goes_before_the_one_that_let_go_and_asks_again(tmp_path):
    """The one that lets go finds the gate held by the one waiting: each waits at most one turn of the other."""
    busy, waiting = WriteLock(str(tmp_path / "s.db")), WriteLock(str(tmp_path / "s.db"))
    turns = [0]
    started = threading.Event()
    stop = threading.Event()

    def hog() -> None:
        while not stop.is_set():
            with busy.held():
                turns[0] += 1
                started.set()
                time.sleep(0.002)

    thread = threading.Thread(target=hog)
    thread.start()
    try:
        assert started.wait(10)
        waited = []
        for _ in range(5):
            before = turns[0]
            with waiting.held():
                waited.append(turns[0] - before)
            time.sleep(0.005)
    finally:
        stop.set()
        thread.join(timeout=30)
        busy.close()
        waiting.close()
    assert max(waited) <= 2, waited


def test_a_databases_group_writer_takes_its_group_once_it_holds_the_file_lock(tmp_path):
    from survey.store.engine import Database, make_engine

    db = Database(make_engine(f"sqlite:///{tmp_path / 's.db'}"))
    other = WriteLock(str(tmp_path / "s.db"))  # another worker's writer, in the middle of its group
    sizes: list[int] = []

    def batch(session, items):
        sizes.append(len(items))
        return list(items)

    def queued(count: int) -> None:
        deadline = time.monotonic() + 10
        while db._writer._queue.qsize() != count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert db._writer._queue.qsize() == count

    try:
        with other.held():
            # The first write: the writer takes it and waits for the lock. The next five arrive meanwhile (queued,
            # not taken), so a writer that took its group before its turn would commit [1, 5].
            futures = [db._writer.submit(batch, 0)]
            queued(0)
            futures += [db._writer.submit(batch, n) for n in range(1, 6)]
            queued(5)
        answers = [future.result(timeout=10) for future in futures]
    finally:
        other.close()
        db.dispose()
    assert answers == list(range(6)) and sizes == [6]
